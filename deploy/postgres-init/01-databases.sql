-- One database per service on the compose PostgreSQL (run once, when the data volume is new).
-- The services create their tables themselves (`crm migrate`, and again on start).
CREATE DATABASE crm_deals;
CREATE DATABASE crm_calendar;
CREATE DATABASE crm_planning;
CREATE DATABASE crm_knowledge;
CREATE DATABASE crm_gateway;
