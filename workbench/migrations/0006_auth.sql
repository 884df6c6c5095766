-- Migration 6: users, roles, areas, password logins and server-side sessions for the shared app.
-- Released: never edit; add a new numbered file instead.

CREATE TABLE wb.users (
            username VARCHAR PRIMARY KEY,
            email VARCHAR,
            display_name VARCHAR,
            roles JSON NOT NULL,
            areas JSON NOT NULL,
            password_hash VARCHAR,
            active BOOLEAN NOT NULL DEFAULT TRUE,
            created_at TIMESTAMP NOT NULL,
            updated_at TIMESTAMP
        );

CREATE TABLE wb.login_failures (
            username VARCHAR NOT NULL,
            failed_at TIMESTAMP NOT NULL
        );

CREATE TABLE wb.sessions (
            token_hash VARCHAR PRIMARY KEY,
            username VARCHAR NOT NULL,
            method VARCHAR NOT NULL,
            created_at TIMESTAMP NOT NULL,
            last_seen TIMESTAMP NOT NULL,
            expires_at TIMESTAMP NOT NULL,
            revoked_at TIMESTAMP
        );
