-- Migration 1: base. Released: never edit; add a new numbered file instead.

CREATE SCHEMA IF NOT EXISTS data;

CREATE SCHEMA IF NOT EXISTS wb;

CREATE TABLE wb.datasets (
            name VARCHAR PRIMARY KEY,
            kind VARCHAR NOT NULL DEFAULT 'source',
            title VARCHAR,
            description VARCHAR,
            source_system VARCHAR,
            owner VARCHAR,
            refresh_date DATE,
            row_count BIGINT,
            column_count INTEGER,
            source_file VARCHAR,
            source_sha256 VARCHAR,
            source_format VARCHAR,
            source_bytes BIGINT,
            imported_at TIMESTAMP,
            imported_by VARCHAR,
            is_sample BOOLEAN NOT NULL DEFAULT FALSE,
            version INTEGER NOT NULL DEFAULT 1,
            previous_version VARCHAR,
            updated_at TIMESTAMP
        );

CREATE TABLE wb.columns (
            dataset VARCHAR NOT NULL,
            position INTEGER NOT NULL,
            name VARCHAR NOT NULL,
            dtype VARCHAR NOT NULL,
            description VARCHAR,
            PRIMARY KEY (dataset, name)
        );

CREATE TABLE wb.profiles (
            dataset VARCHAR PRIMARY KEY,
            computed_at TIMESTAMP NOT NULL,
            profile JSON NOT NULL
        );

CREATE TABLE wb.column_roles (
            dataset VARCHAR NOT NULL,
            column_name VARCHAR NOT NULL,
            role VARCHAR NOT NULL,
            suggested_role VARCHAR,
            confidence DOUBLE,
            reason VARCHAR,
            confirmed BOOLEAN NOT NULL DEFAULT FALSE,
            updated_at TIMESTAMP,
            updated_by VARCHAR,
            PRIMARY KEY (dataset, column_name)
        );

CREATE SEQUENCE wb.audit_seq START 1;

CREATE TABLE wb.audit_log (
            id BIGINT PRIMARY KEY DEFAULT nextval('wb.audit_seq'),
            occurred_at TIMESTAMP NOT NULL,
            actor VARCHAR NOT NULL,
            action VARCHAR NOT NULL,
            target VARCHAR,
            detail JSON,
            data_version VARCHAR
        );

CREATE TABLE wb.settings (
            key VARCHAR PRIMARY KEY,
            value JSON
        );
