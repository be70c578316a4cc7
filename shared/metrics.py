"""Prometheus metrics of the kernel, labelled by service so one process can host them all."""

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Histogram(
    "crm_http_request_seconds",
    "HTTP requests by service, method, route and status",
    ["service", "method", "route", "status"],
)
EVENTS_RELAYED = Counter("crm_outbox_relayed_total", "Outbox rows published", ["service"])
RELAY_FAILURES = Counter("crm_outbox_relay_failures_total", "Failed relay attempts", ["service"])
EVENTS_HANDLED = Counter(
    "crm_events_handled_total", "Events applied by a consumer", ["consumer", "type"]
)
EVENTS_DUPLICATE = Counter(
    "crm_events_duplicate_total", "Events dropped as already processed", ["consumer", "type"]
)
EVENTS_DEAD = Counter(
    "crm_events_dead_lettered_total", "Messages sent to a dead-letter topic", ["consumer", "topic"]
)
ALARMS_FIRED = Counter(
    "crm_alarms_fired_total",
    "Alarms (reminders, outcome prompts) fired by this process's calendar scheduler",
    ["kind"],
)
PARTITIONS_HELD = Gauge(
    "crm_consumer_partitions",
    "Partitions this process's consumer holds now in its group's assignment",
    ["consumer"],
)
BUS_UP = Gauge(
    "crm_bus_up",
    "1 while the service's event bus (Kafka) answers, 0 while it does not",
    ["service"],
)
RESENT = Counter(
    "crm_gateway_resent_total",
    "Calls of a service the gateway sent again on a new connection (a read or a keyed write)",
    ["service", "kind"],
)
KEYED_WRITES = Counter(
    "crm_idempotency_keys_total",
    "Writes with an Idempotency-Key: made, replayed, in-progress, answer-lost or reused",
    ["service", "outcome"],
)
