-- Migration 5: stories. Released: never edit; add a new numbered file instead.

CREATE TABLE wb.stories (
            name VARCHAR PRIMARY KEY,
            title VARCHAR NOT NULL,
            summary VARCHAR,
            blocks JSON NOT NULL,
            created_at TIMESTAMP NOT NULL,
            created_by VARCHAR,
            updated_at TIMESTAMP NOT NULL,
            updated_by VARCHAR,
            revision INTEGER NOT NULL DEFAULT 1
        );
