-- Migration 3: journeys. Released: never edit; add a new numbered file instead.

CREATE SCHEMA IF NOT EXISTS journeys;

CREATE TABLE wb.journey_builds (
            name VARCHAR PRIMARY KEY,
            kind VARCHAR NOT NULL,
            model_id VARCHAR,
            threshold DOUBLE,
            built_at TIMESTAMP NOT NULL,
            built_by VARCHAR,
            journeys BIGINT NOT NULL,
            counts JSON
        );
