-- One role and one database per service (docker-compose runs this once on a new volume).
CREATE ROLE capture LOGIN PASSWORD 'capture';         CREATE DATABASE capture OWNER capture;
CREATE ROLE scoring LOGIN PASSWORD 'scoring';         CREATE DATABASE scoring OWNER scoring;
CREATE ROLE routing LOGIN PASSWORD 'routing';         CREATE DATABASE routing OWNER routing;
CREATE ROLE sla_monitor LOGIN PASSWORD 'sla_monitor'; CREATE DATABASE sla_monitor OWNER sla_monitor;
CREATE ROLE reporting LOGIN PASSWORD 'reporting';     CREATE DATABASE reporting OWNER reporting;
