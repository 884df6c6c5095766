-- Migration 2: linkage. Released: never edit; add a new numbered file instead.

CREATE SCHEMA IF NOT EXISTS linkage;

CREATE TABLE wb.models (
            model_id VARCHAR PRIMARY KEY,
            name VARCHAR NOT NULL,
            created_at TIMESTAMP NOT NULL,
            created_by VARCHAR,
            link_type VARCHAR NOT NULL,
            settings JSON NOT NULL,
            spec JSON,
            data_fingerprint VARCHAR,
            datasets JSON,
            threshold DOUBLE,
            metrics JSON,
            is_active BOOLEAN NOT NULL DEFAULT FALSE,
            parent_model_id VARCHAR,
            notes VARCHAR
        );

CREATE TABLE wb.clusters (
            source_dataset VARCHAR NOT NULL,
            unique_id VARCHAR NOT NULL,
            cluster_id VARCHAR NOT NULL,
            model_id VARCHAR NOT NULL,
            threshold DOUBLE NOT NULL,
            PRIMARY KEY (model_id, source_dataset, unique_id)
        );

CREATE TABLE wb.labels (
            source_dataset_l VARCHAR NOT NULL,
            unique_id_l VARCHAR NOT NULL,
            source_dataset_r VARCHAR NOT NULL,
            unique_id_r VARCHAR NOT NULL,
            label INTEGER,
            reviewer VARCHAR,
            labelled_at TIMESTAMP NOT NULL,
            model_id VARCHAR,
            match_probability_shown DOUBLE,
            note VARCHAR
        );
