"""Static checks of deploy/: the image, the compose file and the Kubernetes manifests agree with
the code (service names, ports, probes, the environment the settings classes read).

No network, no Docker, no cluster: YAML is read with PyYAML and compared with `services.catalog`
and `shared.settings`; pyproject.toml's package-data is compared with the files the packages hold.
Each check is a function returning the problems it found; the tests assert there are none, and
the last tests break a copy of the manifests to show each check can fail.
"""

import copy
import fnmatch
import inspect
import json
import re
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from prometheus_client.metrics import MetricWrapperBase
from pydantic import ValidationError
from pydantic_settings import BaseSettings

import shared.metrics
from services import cli
from services.catalog import BACKENDS, SERVICES
from shared.settings import env_name

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
DOCKERFILE = DEPLOY / "Dockerfile"
COMPOSE = DEPLOY / "compose.yaml"
SECRET_EXAMPLE = K8S / "secret.example.yaml"
IMAGE_REPOSITORY = "ghcr.io/contentum/crm"
# What `crm serve` listens on without --port.
CLI_DEFAULT_PORT = int(inspect.signature(cli.serve).parameters["port"].default)

Doc = dict[str, Any]


# --- what the code reads ------------------------------------------------------------------


def settings_of(service: str) -> type[BaseSettings]:
    return SERVICES[service].settings


def known_variables() -> set[str]:
    """Every environment variable a settings class of some service reads."""
    return {
        env_name(entry.settings, name)
        for entry in SERVICES.values()
        for name in entry.settings.model_fields
    }


def required_variables(service: str) -> set[str]:
    """The variables without which the service's settings refuse to load."""
    cls = settings_of(service)
    return {env_name(cls, name) for name, info in cls.model_fields.items() if info.is_required()}


def database_variables() -> set[str]:
    """What `crm migrate` reads: each service's database URL."""
    return {env_name(settings_of(service), "database_url") for service in SERVICES}


# --- reading the files ----------------------------------------------------------------------


def load_documents(path: Path) -> list[Doc]:
    with path.open(encoding="utf-8") as stream:
        return [doc for doc in yaml.safe_load_all(stream) if doc is not None]


def kustomization() -> Doc:
    docs = load_documents(K8S / "kustomization.yaml")
    assert len(docs) == 1
    return docs[0]


@dataclass
class Cluster:
    """What `kubectl apply -k deploy/k8s` creates, plus the Secret the operator makes from the
    example (the services' envFrom needs its keys)."""

    objects: list[Doc]
    secret: Doc
    # Applied on their own: the policies of Kafka's and PostgreSQL's namespaces, KEDA's objects.
    data_access: list[Doc] = field(default_factory=list)
    keda: list[Doc] = field(default_factory=list)

    def all(self) -> list[Doc]:
        return [*self.objects, self.secret]


def resources_of(directory: Path) -> list[Doc]:
    (listing,) = load_documents(directory / "kustomization.yaml")
    return [
        doc for resource in listing["resources"] for doc in load_documents(directory / resource)
    ]


def load_cluster() -> Cluster:
    objects = [
        doc for resource in kustomization()["resources"] for doc in load_documents(K8S / resource)
    ]
    (secret,) = load_documents(SECRET_EXAMPLE)
    return Cluster(objects, secret, resources_of(K8S / "data-access"), resources_of(K8S / "keda"))


def load_compose() -> Doc:
    (compose,) = load_documents(COMPOSE)
    return compose


def of_kind(docs: list[Doc], kind: str) -> list[Doc]:
    return [doc for doc in docs if doc.get("kind") == kind]


def named(docs: list[Doc], kind: str, name: str) -> list[Doc]:
    return [doc for doc in of_kind(docs, kind) if doc["metadata"]["name"] == name]


# --- Kubernetes helpers ---------------------------------------------------------------------


def pod_spec(workload: Doc) -> Doc:
    spec: Doc = workload["spec"]["template"]["spec"]
    return spec


def repository(image: str) -> str:
    last = image.rsplit("/", 1)[-1]
    return image.rsplit(":", 1)[0] if ":" in last else image


def crm_containers(workload: Doc) -> list[Doc]:
    containers: list[Doc] = pod_spec(workload).get("containers", [])
    return [c for c in containers if repository(c.get("image", "")) == IMAGE_REPOSITORY]


def workloads(cluster: Cluster) -> Iterator[tuple[str, Doc, Doc]]:
    """(label, workload, container) for each CRM container of a Deployment or Job."""
    for kind in ("Deployment", "Job"):
        for workload in of_kind(cluster.objects, kind):
            for container in crm_containers(workload):
                yield f"{kind} {workload['metadata']['name']}", workload, container


def served(args: list[str]) -> str | None:
    """The service `crm serve <name>` serves, or None for other commands."""
    return args[1] if len(args) >= 2 and args[0] == "serve" else None


def listening_port(args: list[str]) -> int:
    if "--port" in args:
        return int(args[args.index("--port") + 1])
    return CLI_DEFAULT_PORT


def resolve_port(container: Doc, port: int | str) -> int | None:
    """A probe's or Service's port, by number or by the container port's name."""
    if isinstance(port, int):
        return port
    for declared in container.get("ports", []):
        if declared.get("name") == port:
            return int(declared["containerPort"])
    return None


def secret_values(secret: Doc) -> dict[str, str]:
    values = {key: str(value) for key, value in (secret.get("stringData") or {}).items()}
    values.update({key: "<base64>" for key in (secret.get("data") or {})})
    return values


def environment(container: Doc, cluster: Cluster) -> tuple[dict[str, str | None], list[str]]:
    """The variables a container gets (value, or None when it comes from a reference), and the
    problems met: envFrom naming a ConfigMap or Secret that is not there."""
    env: dict[str, str | None] = {}
    problems = []
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            name = source["configMapRef"]["name"]
            maps = named(cluster.objects, "ConfigMap", name)
            if not maps:
                problems.append(f"envFrom names ConfigMap {name!r}, which is not deployed")
            for config_map in maps:
                env.update({k: str(v) for k, v in (config_map.get("data") or {}).items()})
        if "secretRef" in source:
            name = source["secretRef"]["name"]
            secrets = [s for s in of_kind(cluster.all(), "Secret") if s["metadata"]["name"] == name]
            if not secrets:
                problems.append(f"envFrom names Secret {name!r}, which the example does not make")
            for secret in secrets:
                env.update(secret_values(secret))
    for variable in container.get("env", []):
        env[variable["name"]] = variable.get("value")
    return env, problems


# --- the checks: each returns the problems it found -----------------------------------------


def kubernetes_service_problems(cluster: Cluster) -> list[str]:
    """Each service: one Deployment running `crm serve <name>`, probed on /healthz and /readyz at
    the port it listens on, and one Service that selects its pods and targets that port."""
    problems = []
    deployments = of_kind(cluster.objects, "Deployment")
    serving: dict[str, list[tuple[Doc, Doc]]] = {name: [] for name in SERVICES}
    for deployment in deployments:
        for container in crm_containers(deployment):
            name = served(container.get("args", []))
            if name is None:
                continue
            if name not in SERVICES:
                problems.append(f"Deployment {deployment['metadata']['name']} serves {name!r}")
                continue
            serving[name].append((deployment, container))
    for name, found in serving.items():
        if len(found) != 1:
            problems.append(f"{name}: {len(found)} Deployments serve it, expected exactly 1")
            continue
        deployment, container = found[0]
        port = listening_port(container["args"])
        declared = {p.get("containerPort") for p in container.get("ports", [])}
        if port not in declared:
            problems.append(f"{name}: listens on {port} but declares container ports {declared}")
        for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
            http = (container.get(probe) or {}).get("httpGet") or {}
            if http.get("path") != path:
                problems.append(f"{name}: {probe} is not an HTTP GET of {path}")
            elif resolve_port(container, http.get("port", "")) != port:
                problems.append(f"{name}: {probe} does not probe port {port}")
        services = named(cluster.objects, "Service", name)
        if len(services) != 1:
            problems.append(f"{name}: {len(services)} Services named so, expected exactly 1")
            continue
        service = services[0]
        labels = deployment["spec"]["template"]["metadata"].get("labels", {})
        selector = service["spec"].get("selector") or {}
        if not selector or any(labels.get(k) != v for k, v in selector.items()):
            problems.append(f"{name}: the Service's selector {selector} misses the pods {labels}")
        targets = {
            resolve_port(container, p.get("targetPort", p["port"]))
            for p in service["spec"]["ports"]
        }
        if port not in targets:
            problems.append(f"{name}: the Service targets {targets}, the pods listen on {port}")
    return problems


def kubernetes_environment_problems(cluster: Cluster) -> list[str]:
    """Every variable set is one the code reads; every service gets its required ones; the
    migration gets every database URL."""
    known = known_variables()
    problems = []
    for config_map in of_kind(cluster.objects, "ConfigMap"):
        for key in config_map.get("data") or {}:
            if key not in known:
                problems.append(
                    f"ConfigMap {config_map['metadata']['name']}: {key} is read by nothing"
                )
    for secret in of_kind(cluster.all(), "Secret"):
        for key in secret_values(secret):
            if key not in known:
                problems.append(f"Secret {secret['metadata']['name']}: {key} is read by nothing")
    for label, _, container in workloads(cluster):
        env, missing_sources = environment(container, cluster)
        problems += [f"{label}: {problem}" for problem in missing_sources]
        for variable in container.get("env", []):
            if variable["name"] not in known:
                problems.append(f"{label}: {variable['name']} is read by nothing")
        args = container.get("args", [])
        name = served(args)
        if name in SERVICES:
            needed = required_variables(name)
        elif args[:1] == ["migrate"]:
            needed = database_variables() if len(args) == 1 else required_variables(args[1])
            needed &= database_variables()
        else:
            continue
        for variable in sorted(needed - env.keys()):
            problems.append(f"{label}: the required {variable} is not provided")
    return problems


def kubernetes_gateway_problems(cluster: Cluster) -> list[str]:
    """The gateway reaches each backend at its in-cluster Service."""
    problems = []
    gateway = [
        (workload, container)
        for _, workload, container in workloads(cluster)
        if served(container.get("args", [])) == "gateway"
    ]
    if len(gateway) != 1:
        return [f"{len(gateway)} gateway containers"]
    env, _ = environment(gateway[0][1], cluster)
    for backend in BACKENDS:
        variable = env_name(settings_of("gateway"), f"{backend}_url")
        url = urlsplit(env.get(variable) or "")
        services = named(cluster.objects, "Service", url.hostname or "")
        ports = {p["port"] for service in services for p in service["spec"]["ports"]}
        if url.scheme != "http" or url.hostname != backend or url.port not in ports:
            problems.append(f"{variable}={env.get(variable)!r} is not the Service {backend}")
    return problems


def compose_crm_services(compose: Doc) -> dict[str, Doc]:
    """The compose services that run the CRM image (built from deploy/Dockerfile)."""
    built = {
        name: service
        for name, service in compose["services"].items()
        if (service.get("build") or {}).get("dockerfile") == "deploy/Dockerfile"
    }
    images = {service.get("image") for service in built.values()}
    return {
        name: service
        for name, service in compose["services"].items()
        if name in built or service.get("image") in images
    }


def compose_environment(service: Doc) -> dict[str, str | None]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        pairs = [item.split("=", 1) for item in env]
        return {pair[0]: pair[1] if len(pair) == 2 else None for pair in pairs}
    return {key: None if value is None else str(value) for key, value in env.items()}


def compose_problems(compose: Doc) -> list[str]:
    """The CRM containers: `crm serve <name>` under the service's own name, one per service, the
    variables set are read by the code, the required ones are all there, the migration runs first
    and has every database URL, the gateway reaches each backend by its compose name."""
    problems = []
    known = known_variables()
    crm = compose_crm_services(compose)
    serving: dict[str, str] = {}
    for name, service in crm.items():
        command = service.get("command") or []
        env = compose_environment(service)
        problems += [f"compose {name}: {key} is read by nothing" for key in env if key not in known]
        target = served(command)
        if target is not None:
            serving[name] = target
            if target != name:
                problems.append(f"compose service {name!r} serves {target!r}")
            if target in SERVICES:
                for variable in sorted(required_variables(target) - env.keys()):
                    problems.append(f"compose {name}: the required {variable} is not set")
            depends = service.get("depends_on") or {}
            condition = depends.get("migrate", {}) if isinstance(depends, dict) else {}
            if condition.get("condition") != "service_completed_successfully":
                problems.append(f"compose {name}: does not wait for the migration to complete")
        elif command[:1] == ["migrate"]:
            for variable in sorted(database_variables() - env.keys()):
                problems.append(f"compose {name}: `crm migrate` needs {variable}")
    if sorted(serving.values()) != sorted(SERVICES):
        problems.append(f"compose serves {sorted(serving.values())}, expected {sorted(SERVICES)}")
    if not any((s.get("command") or [])[:1] == ["migrate"] for s in crm.values()):
        problems.append("compose has no `crm migrate` service")
    gateway_env = compose_environment(crm.get("gateway", {}))
    for backend in BACKENDS:
        variable = env_name(settings_of("gateway"), f"{backend}_url")
        url = urlsplit(gateway_env.get(variable) or "")
        port = listening_port(crm.get(backend, {}).get("command") or [])
        if url.scheme != "http" or url.hostname != backend or url.port != port:
            problems.append(f"compose gateway: {variable} does not point at {backend}:{port}")
    return problems


@dataclass
class Stage:
    base: str
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def last(self, instruction: str) -> str | None:
        values = [value for name, value in self.instructions if name == instruction]
        return values[-1] if values else None


def dockerfile_stages(text: str) -> list[Stage]:
    """The stages of a Dockerfile: FROM (with global ARG defaults substituted) and the
    instructions after it, continuation lines joined, comments dropped."""
    lines: list[str] = []
    pending = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        lines.append(pending + stripped)
        pending = ""
    arguments: dict[str, str] = {}
    stages: list[Stage] = []
    for line in lines:
        instruction, _, value = line.partition(" ")
        instruction, value = instruction.upper(), value.strip()
        if instruction == "ARG" and not stages and "=" in value:
            key, _, default = value.partition("=")
            arguments[key] = default
        elif instruction == "FROM":
            base = re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: arguments.get(m[1] or m[2], ""), value)
            stages.append(Stage(base.split()[0]))
        elif stages:
            stages[-1].instructions.append((instruction, value))
    return stages


def dockerfile_problems(text: str) -> list[str]:
    """python:3.11-slim, multi-stage, a non-editable pip install, ENTRYPOINT crm, CMD serving
    the gateway, EXPOSE of the port `crm serve` listens on, and a numeric non-root USER."""
    problems = []
    stages = dockerfile_stages(text)
    if len(stages) < 2:
        problems.append(f"{len(stages)} stage(s): expected a build stage and a runtime stage")
    if not stages:
        return problems
    problems += [
        f"base {s.base} is not python:3.11-slim" for s in stages if s.base != "python:3.11-slim"
    ]
    installs = [v for s in stages for n, v in s.instructions if n == "RUN" and "pip install" in v]
    if not any(re.search(r"pip install (--no-deps )?\.(\s|$)", v) for v in installs):
        problems.append("the project is not installed with `pip install .`")
    if any(re.search(r"\s(-e|--editable)\s", v) for v in installs):
        problems.append("the project is installed editable")
    final = stages[-1]
    if json.loads(final.last("ENTRYPOINT") or "null") != ["crm"]:
        problems.append(f'ENTRYPOINT is {final.last("ENTRYPOINT")}, expected ["crm"]')
    if json.loads(final.last("CMD") or "null") != ["serve", "gateway"]:
        problems.append(f'CMD is {final.last("CMD")}, expected ["serve", "gateway"]')
    if str(CLI_DEFAULT_PORT) not in (final.last("EXPOSE") or "").split():
        problems.append(f"EXPOSE does not name {CLI_DEFAULT_PORT}")
    user = (final.last("USER") or "root").split(":")[0]
    if user in ("root", "0") or not user.isdigit():
        problems.append(f"USER {user}: expected a numeric non-root uid (runAsNonRoot checks it)")
    return problems


def image_uid() -> int:
    user = dockerfile_stages(DOCKERFILE.read_text(encoding="utf-8"))[-1].last("USER") or "0"
    return int(user.split(":")[0])


def pod_security_problems(cluster: Cluster) -> list[str]:
    """Pods run as the image's non-root user on a read-only root filesystem with /tmp writable."""
    problems = []
    uid = image_uid()
    for label, workload, container in workloads(cluster):
        pod = pod_spec(workload).get("securityContext") or {}
        own = container.get("securityContext") or {}
        if not (own.get("runAsNonRoot") or pod.get("runAsNonRoot")):
            problems.append(f"{label}: runAsNonRoot is not set")
        if own.get("runAsUser", pod.get("runAsUser", uid)) != uid:
            problems.append(f"{label}: runs as a uid other than the image's {uid}")
        if own.get("readOnlyRootFilesystem") is not True:
            problems.append(f"{label}: the root filesystem is writable")
        if own.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{label}: privilege escalation is allowed")
        volumes = {v["name"]: v for v in pod_spec(workload).get("volumes", [])}
        tmp = [m for m in container.get("volumeMounts", []) if m.get("mountPath") == "/tmp"]
        if not tmp or "emptyDir" not in volumes.get(tmp[0]["name"], {}):
            problems.append(f"{label}: /tmp is not an emptyDir")
        resources = container.get("resources") or {}
        if not (resources.get("requests") and resources.get("limits")):
            problems.append(f"{label}: no resource requests and limits")
    return problems


def dockerignore_patterns() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def docker_ignores(path: str, patterns: list[str]) -> bool:
    """Whether the build context leaves `path` out: the last matching pattern wins, and a
    pattern that matches a directory matches everything under it."""
    parts = path.split("/")
    prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    ignored = False
    for raw in patterns:
        negated = raw.startswith("!")
        pattern = raw.removeprefix("!").strip("/")
        candidates = [pattern, pattern[3:]] if pattern.startswith("**/") else [pattern]
        if any(fnmatch.fnmatchcase(p, c) for p in prefixes for c in candidates):
            ignored = not negated
    return ignored


# --- network policies and KEDA ----------------------------------------------------------------

NAMESPACE = "contentum-crm"
CRM_PODS = {"app.kubernetes.io/part-of": "contentum-crm"}
POLICY_TYPES = {"Ingress", "Egress"}
PEER_KEYS = {"podSelector", "namespaceSelector", "ipBlock"}
# What KEDA's kafka scaler reads (keda.sh/docs/2.16/scalers/apache-kafka); values are strings.
KAFKA_SCALER_KEYS = {
    "bootstrapServers",
    "consumerGroup",
    "topic",
    "lagThreshold",
    "activationLagThreshold",
    "offsetResetPolicy",
    "allowIdleConsumers",
    "excludePersistentLag",
    "scaleToZeroOnInvalidOffset",
    "limitToPartitionsWithLag",
    "partitionLimitation",
    "version",
    "sasl",
    "tls",
}


def selects(selector: Doc, labels: dict[str, str]) -> bool:
    """Whether a label selector (matchLabels only, as these manifests use) picks `labels`."""
    wanted = selector.get("matchLabels") or {}
    return not selector.get("matchExpressions") and all(
        labels.get(k) == v for k, v in wanted.items()
    )


def pod_labels(workload: Doc) -> dict[str, str]:
    labels: dict[str, str] = workload["spec"]["template"]["metadata"].get("labels", {})
    return labels


def network_policy_shape_problems(policy: Doc) -> list[str]:
    """What the API server would refuse, or a rule that silently allows everybody."""
    name = policy.get("metadata", {}).get("name", "?")
    problems = []
    if policy.get("apiVersion") != "networking.k8s.io/v1":
        problems.append(f"NetworkPolicy {name}: apiVersion {policy.get('apiVersion')}")
    spec = policy.get("spec") or {}
    if "podSelector" not in spec:
        problems.append(f"NetworkPolicy {name}: no podSelector (use {{}} for every pod)")
    if not set(spec.get("policyTypes") or []) <= POLICY_TYPES or not spec.get("policyTypes"):
        problems.append(f"NetworkPolicy {name}: policyTypes {spec.get('policyTypes')}")
    for rule in spec.get("ingress") or []:
        if set(rule) - {"from", "ports"}:
            problems.append(
                f"NetworkPolicy {name}: unknown rule keys {set(rule) - {'from', 'ports'}}"
            )
        for peer in rule.get("from") or []:
            if not peer or set(peer) - PEER_KEYS:
                problems.append(f"NetworkPolicy {name}: a peer {peer} is not a selector")
        for port in rule.get("ports") or []:
            if port.get("protocol", "TCP") not in ("TCP", "UDP", "SCTP") or "port" not in port:
                problems.append(f"NetworkPolicy {name}: port {port}")
    return problems


def ingress_to(policies: list[Doc], labels: dict[str, str]) -> tuple[bool, list[Doc]]:
    """Whether some policy isolates pods with `labels` for ingress, and the rules letting in."""
    chosen = [p for p in policies if selects(p["spec"]["podSelector"], labels)]
    isolated = any("Ingress" in p["spec"].get("policyTypes", []) for p in chosen)
    return isolated, [rule for p in chosen for rule in p["spec"].get("ingress") or []]


def is_monitoring(peer: Doc) -> bool:
    names = (peer.get("namespaceSelector") or {}).get("matchLabels") or {}
    return names.get("kubernetes.io/metadata.name") == "monitoring" and "podSelector" in peer


def network_policy_problems(cluster: Cluster) -> list[str]:
    """In the CRM's namespace everything is refused unless allowed; the gateway is open on its
    port; each backend only to the gateway's pods (and Prometheus), on the port it serves."""
    policies = of_kind(cluster.objects, "NetworkPolicy")
    problems = [p for policy in policies for p in network_policy_shape_problems(policy)]
    if not any(
        p["spec"].get("podSelector") == {} and not p["spec"].get("ingress") for p in policies
    ):
        problems.append("no default policy refusing ingress to every pod")
    gateway = [
        d for d in of_kind(cluster.objects, "Deployment") if d["metadata"]["name"] == "gateway"
    ]
    gateway_labels = pod_labels(gateway[0]) if gateway else {}
    for deployment in of_kind(cluster.objects, "Deployment"):
        name = deployment["metadata"]["name"]
        (container,) = crm_containers(deployment)
        port = listening_port(container["args"])
        isolated, rules = ingress_to(policies, pod_labels(deployment))
        if not isolated:
            problems.append(f"{name}: no policy isolates its pods")
        for rule in rules:
            ports = {resolve_port(container, p["port"]) for p in rule.get("ports") or []}
            if ports != {port}:
                problems.append(f"{name}: a rule lets in ports {ports or 'all'}, it serves {port}")
            if name == "gateway":
                continue
            peers = rule.get("from")
            if not peers:
                problems.append(f"{name}: a rule lets everybody in")
            for peer in peers or []:
                from_gateway = set(peer) == {"podSelector"} and selects(
                    peer["podSelector"], gateway_labels
                )
                if not (from_gateway or is_monitoring(peer)):
                    problems.append(f"{name}: lets in {peer}, not the gateway")
        if name != "gateway" and not any(
            set(peer) == {"podSelector"} and selects(peer["podSelector"], gateway_labels)
            for rule in rules
            for peer in rule.get("from") or []
        ):
            problems.append(f"{name}: the gateway cannot reach it")
        if name == "gateway" and not any(not rule.get("from") for rule in rules):
            problems.append("the gateway is not open to the ingress")
    return problems


def data_access_problems(cluster: Cluster) -> list[str]:
    """Kafka (where KAFKA_BOOTSTRAP_SERVERS points) and PostgreSQL (the port of the databases'
    URLs) accept their clients' port only from the CRM's pods, every CRM workload included."""
    (config_map,) = of_kind(cluster.objects, "ConfigMap")
    bootstrap = urlsplit("//" + config_map["data"]["KAFKA_BOOTSTRAP_SERVERS"].split(",")[0])
    kafka_namespace = (bootstrap.hostname or "").split(".")[1]
    database_ports = {
        urlsplit(value).port
        for key, value in secret_values(cluster.secret).items()
        if key.endswith("_DATABASE_URL")
    }
    expected = {
        "kafka": (kafka_namespace, {bootstrap.port}),
        "postgres": ("postgres", database_ports),
    }
    problems = []
    policies = of_kind(cluster.data_access, "NetworkPolicy")
    problems += [p for policy in policies for p in network_policy_shape_problems(policy)]
    crm_workloads = [w for kind in ("Deployment", "Job") for w in of_kind(cluster.objects, kind)]
    for what, (namespace, ports) in expected.items():
        mine = [p for p in policies if p["metadata"].get("namespace") == namespace]
        mine = [p for p in mine if what in p["metadata"]["name"]]
        if not mine:
            problems.append(f"{what}: no policy in the namespace {namespace}")
            continue
        rules = [rule for p in mine for rule in p["spec"].get("ingress") or []]
        for port in ports:
            letting = [
                rule
                for rule in rules
                if not rule.get("ports") or port in {p["port"] for p in rule["ports"]}
            ]
            crm_peers = []
            for rule in letting:
                for peer in rule.get("from") or [{}]:
                    names = (peer.get("namespaceSelector") or {}).get("matchLabels") or {}
                    same_namespace = set(peer) == {"podSelector"}
                    if names.get("kubernetes.io/metadata.name") == NAMESPACE:
                        crm_peers.append(peer)
                        if not selects(peer.get("podSelector") or {}, CRM_PODS):
                            problems.append(f"{what}: lets in other pods of {NAMESPACE}")
                    elif not (same_namespace or names.get("kubernetes.io/metadata.name") == "keda"):
                        problems.append(f"{what}: port {port} open to {peer or 'everybody'}")
            reached = [
                w["metadata"]["name"]
                for w in crm_workloads
                if any(selects(peer.get("podSelector") or {}, pod_labels(w)) for peer in crm_peers)
            ]
            if what == "kafka":  # the migration Job does not use Kafka
                crm_workloads_here = [w for w in crm_workloads if w["kind"] == "Deployment"]
            else:
                crm_workloads_here = crm_workloads
            missing = {w["metadata"]["name"] for w in crm_workloads_here} - set(reached)
            if missing:
                problems.append(f"{what}: port {port} refuses {sorted(missing)}")
    return problems


def keda_problems(cluster: Cluster) -> list[str]:
    """A ScaledObject on consumer lag for each consuming backend, as KEDA reads it: its
    Deployment, its consumer group, the configured brokers, string metadata, two replicas at
    least, and no other autoscaler on the same Deployment."""
    (config_map,) = of_kind(cluster.objects, "ConfigMap")
    problems = []
    consuming = {name for name in BACKENDS if SERVICES[name].spec.handlers}
    scaled: dict[str, Doc] = {}
    for obj in cluster.keda:
        name = obj.get("metadata", {}).get("name", "?")
        if obj.get("apiVersion") != "keda.sh/v1alpha1" or obj.get("kind") != "ScaledObject":
            problems.append(
                f"{name}: {obj.get('apiVersion')} {obj.get('kind')}, not a ScaledObject"
            )
            continue
        spec = obj["spec"]
        target = spec.get("scaleTargetRef") or {}
        deployments = named(cluster.objects, "Deployment", target.get("name", ""))
        if target.get("kind", "Deployment") != "Deployment" or not deployments:
            problems.append(f"{name}: scales {target}, which is not deployed")
            continue
        (container,) = crm_containers(deployments[0])
        service = served(container["args"]) or "?"
        scaled[service] = obj
        low, high = spec.get("minReplicaCount", 0), spec.get("maxReplicaCount", 100)
        if not (isinstance(low, int) and isinstance(high, int) and 2 <= low <= high):
            problems.append(f"{name}: replicas {low}..{high}, expected 2 at least")
        for trigger in spec.get("triggers") or []:
            if trigger.get("type") != "kafka":
                continue
            metadata = trigger.get("metadata") or {}
            if unknown := set(metadata) - KAFKA_SCALER_KEYS:
                problems.append(f"{name}: the kafka scaler reads no {sorted(unknown)}")
            if not all(isinstance(value, str) for value in metadata.values()):
                problems.append(f"{name}: trigger metadata values must be strings")
            if metadata.get("consumerGroup") != service:
                problems.append(f"{name}: group {metadata.get('consumerGroup')}, not {service}")
            if metadata.get("bootstrapServers") != config_map["data"]["KAFKA_BOOTSTRAP_SERVERS"]:
                problems.append(f"{name}: brokers other than KAFKA_BOOTSTRAP_SERVERS")
            if not str(metadata.get("lagThreshold", "")).isdigit():
                problems.append(f"{name}: no lagThreshold")
        if not any(t.get("type") == "kafka" for t in spec.get("triggers") or []):
            problems.append(f"{name}: no kafka trigger")
        for hpa in of_kind(cluster.objects, "HorizontalPodAutoscaler"):
            if hpa["spec"]["scaleTargetRef"].get("name") == target.get("name"):
                problems.append(f"{name}: the HPA {hpa['metadata']['name']} scales it too")
    for service in sorted(consuming - set(scaled)):
        problems.append(f"{service}: no ScaledObject on its consumer lag")
    return problems


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster() -> Cluster:
    return load_cluster()


@pytest.fixture(scope="module")
def compose() -> Doc:
    return load_compose()


# --- the tests ------------------------------------------------------------------------------


def test_every_file_listed_in_the_kustomization_exists() -> None:
    resources = kustomization()["resources"]

    assert resources
    assert [r for r in resources if not (K8S / r).is_file()] == []


def test_every_manifest_is_deployed_except_the_examples() -> None:
    listed = set(kustomization()["resources"])
    manifests = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}

    assert {"secret.example.yaml", "ingress.example.yaml"} <= manifests
    assert manifests - listed == {m for m in manifests if m.endswith(".example.yaml")}
    assert not any(m.endswith(".example.yaml") for m in listed)


def test_every_service_has_a_deployment_probed_on_healthz_and_readyz(cluster: Cluster) -> None:
    assert of_kind(cluster.objects, "Deployment")
    assert kubernetes_service_problems(cluster) == []


def test_each_service_scales_independently_with_two_replicas(cluster: Cluster) -> None:
    replicas = {
        d["metadata"]["name"]: d["spec"].get("replicas")
        for d in of_kind(cluster.objects, "Deployment")
    }

    assert replicas == dict.fromkeys(SERVICES, 2)


def test_manifests_set_only_variables_the_code_reads_and_every_required_one(
    cluster: Cluster,
) -> None:
    assert known_variables() >= database_variables()
    assert kubernetes_environment_problems(cluster) == []


def test_the_gateway_reaches_each_backend_at_its_in_cluster_service(cluster: Cluster) -> None:
    assert kubernetes_gateway_problems(cluster) == []


def test_the_migration_job_runs_crm_migrate_as_a_pre_deploy_step(cluster: Cluster) -> None:
    jobs = [
        (job, container)
        for job in of_kind(cluster.objects, "Job")
        for container in crm_containers(job)
        if container.get("args", [])[:1] == ["migrate"]
    ]

    assert len(jobs) == 1
    job, container = jobs[0]
    assert container["args"] == ["migrate"]
    assert job["metadata"]["annotations"]["contentum.io/deploy-phase"] == "pre-deploy"


def test_pods_run_as_the_images_non_root_user_on_a_read_only_filesystem(
    cluster: Cluster,
) -> None:
    assert pod_security_problems(cluster) == []


def test_pods_are_scraped_by_prometheus_on_the_port_they_serve(cluster: Cluster) -> None:
    for deployment in of_kind(cluster.objects, "Deployment"):
        (container,) = crm_containers(deployment)
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true"
        assert annotations["prometheus.io/path"] == "/metrics"
        assert int(annotations["prometheus.io/port"]) == listening_port(container["args"])


def test_the_gateway_has_a_disruption_budget_and_an_autoscaler(cluster: Cluster) -> None:
    (budget,) = named(cluster.objects, "PodDisruptionBudget", "gateway")
    (autoscaler,) = named(cluster.objects, "HorizontalPodAutoscaler", "gateway")
    (gateway,) = named(cluster.objects, "Deployment", "gateway")

    assert budget["spec"]["selector"]["matchLabels"] == gateway["spec"]["selector"]["matchLabels"]
    assert autoscaler["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "gateway",
    }
    assert autoscaler["spec"]["minReplicas"] >= 2


def test_the_namespace_refuses_what_it_does_not_allow_and_backends_hear_only_the_gateway(
    cluster: Cluster,
) -> None:
    assert of_kind(cluster.objects, "NetworkPolicy")
    assert network_policy_problems(cluster) == []


def test_kafka_and_postgresql_accept_only_the_crms_pods(cluster: Cluster) -> None:
    assert data_access_problems(cluster) == []


def test_consuming_services_can_scale_on_their_consumer_lag_with_keda(cluster: Cluster) -> None:
    assert keda_problems(cluster) == []


def test_the_example_ingress_exposes_only_the_gateway(cluster: Cluster) -> None:
    (ingress,) = load_documents(K8S / "ingress.example.yaml")
    backends = {
        (path["backend"]["service"]["name"], path["backend"]["service"]["port"]["name"])
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    (service,) = named(cluster.objects, "Service", "gateway")

    assert backends == {("gateway", service["spec"]["ports"][0]["name"])}


def test_the_example_secret_cannot_start_a_service_unedited(cluster: Cluster) -> None:
    values = secret_values(cluster.secret)
    placeholder = values[env_name(settings_of("gateway"), "identity_secret")]

    with pytest.raises(ValidationError) as refused:
        settings_of("deals").model_validate(
            {
                "database_url": values[env_name(settings_of("deals"), "database_url")],
                "identity_secret": placeholder,
            }
        )

    assert [(e["loc"], e["type"]) for e in refused.value.errors()] == [
        (("identity_secret",), "too_short")
    ]


def test_compose_serves_each_service_under_its_name_with_the_variables_it_needs(
    compose: Doc,
) -> None:
    assert compose_crm_services(compose)
    assert compose_problems(compose) == []


def test_compose_refuses_to_start_without_an_identity_secret(compose: Doc) -> None:
    variable = env_name(settings_of("gateway"), "identity_secret")
    serving = [s for s in compose_crm_services(compose).values() if served(s["command"])]

    assert len(serving) == len(SERVICES)
    for service in serving:
        value = compose_environment(service)[variable] or ""
        assert re.fullmatch(rf"\$\{{{variable}:\?[^}}]+\}}", value), value


def test_compose_publishes_only_the_gateway_on_loopback(compose: Doc) -> None:
    published = {name: s["ports"] for name, s in compose["services"].items() if s.get("ports")}

    assert published == {"gateway": [f"127.0.0.1:{CLI_DEFAULT_PORT}:{CLI_DEFAULT_PORT}"]}


def test_compose_creates_the_database_of_every_service(compose: Doc) -> None:
    script = (DEPLOY / "postgres-init" / "01-databases.sql").read_text(encoding="utf-8")
    created = set(re.findall(r"CREATE DATABASE (\w+);", script))
    (migrate,) = [s for s in compose_crm_services(compose).values() if s["command"] == ["migrate"]]
    urls = compose_environment(migrate)

    assert created == {f"crm_{name}" for name in SERVICES}
    for name in SERVICES:
        url = urls[env_name(settings_of(name), "database_url")] or ""
        assert urlsplit(url).path == f"/crm_{name}"


def test_the_image_runs_crm_as_a_non_root_user() -> None:
    assert dockerfile_problems(DOCKERFILE.read_text(encoding="utf-8")) == []


def test_the_build_context_leaves_out_tests_the_venv_and_local_data() -> None:
    patterns = dockerignore_patterns()
    copied = [
        value.split()[0]
        for stage in dockerfile_stages(DOCKERFILE.read_text(encoding="utf-8"))
        for name, value in stage.instructions
        if name == "COPY" and not value.startswith("--from")
    ]
    sources = [
        path.relative_to(ROOT).as_posix()
        for source in copied
        for path in (
            [ROOT / source] if (ROOT / source).is_file() else (ROOT / source).rglob("*.py")
        )
        if "__pycache__" not in path.parts
    ]
    left_out = [
        ".git/HEAD",
        ".venv/bin/python",
        "var/pg/PG_VERSION",
        "tests/conftest.py",
        "tests/deploy/test_manifests.py",
        "deploy/.env",
        ".mypy_cache/3.11/x.json",
        "services/__pycache__/cli.cpython-311.pyc",
    ]

    assert len(sources) > 10
    assert [s for s in sources if docker_ignores(s, patterns)] == []
    assert [p for p in left_out if not docker_ignores(p, patterns)] == []


def test_the_operations_guide_names_every_setting_and_metric() -> None:
    guide = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    metrics = [
        family.name + ("_total" if family.type == "counter" else "")
        for metric in vars(shared.metrics).values()
        if isinstance(metric, MetricWrapperBase)
        for family in metric.describe()
    ]

    assert len(metrics) >= 6
    assert [v for v in sorted(known_variables()) if f"`{v}`" not in guide] == []
    assert [m for m in metrics if f"`{m}`" not in guide] == []


def unpackaged_files() -> list[str]:
    """Files under the packages that `pip install .` (the image's install) would leave out:
    neither Python nor matched by `[tool.setuptools.package-data]`. Gettext templates (`.pot`)
    are a build input, not read at run time."""
    with (ROOT / "pyproject.toml").open("rb") as stream:
        package_data: dict[str, list[str]] = tomllib.load(stream)["tool"]["setuptools"][
            "package-data"
        ]
    missing = []
    for top in ("shared", "services"):
        for path in sorted((ROOT / top).rglob("*")):
            if not path.is_file() or "__pycache__" in path.parts or path.suffix in (".py", ".pot"):
                continue
            shipped = False
            for package, patterns in package_data.items():
                base = path.parent if package == "*" else ROOT / package.replace(".", "/")
                if base not in (path.parent, *path.parents):
                    continue
                relative = path.relative_to(base).as_posix()
                shipped |= any(fnmatch.fnmatchcase(relative, pattern) for pattern in patterns)
            if not shipped:
                missing.append(path.relative_to(ROOT).as_posix())
    return missing


def test_the_installed_package_carries_every_file_the_services_read() -> None:
    assert unpackaged_files() == []


# --- the checks can fail ----------------------------------------------------------------------


def _container_of(cluster: Cluster, service: str) -> Doc:
    (deployment,) = named(cluster.objects, "Deployment", service)
    container: Doc = crm_containers(deployment)[0]
    return container


def _drop_readiness(cluster: Cluster, _: Doc) -> None:
    del _container_of(cluster, "deals")["readinessProbe"]


def _liveness_on_readyz(cluster: Cluster, _: Doc) -> None:
    _container_of(cluster, "planning")["livenessProbe"]["httpGet"]["path"] = "/readyz"


def _probe_wrong_port(cluster: Cluster, _: Doc) -> None:
    _container_of(cluster, "calendar")["readinessProbe"]["httpGet"]["port"] = 9000


def _drop_service(cluster: Cluster, _: Doc) -> None:
    cluster.objects.remove(named(cluster.objects, "Service", "knowledge")[0])


def _serve_twice(cluster: Cluster, _: Doc) -> None:
    (deployment,) = named(cluster.objects, "Deployment", "knowledge")
    twin = copy.deepcopy(deployment)
    twin["metadata"]["name"] = "knowledge-2"
    cluster.objects.append(twin)


def _misspelt_variable(cluster: Cluster, _: Doc) -> None:
    (config_map,) = of_kind(cluster.objects, "ConfigMap")
    config_map["data"]["KAFKA_BOOTSTRAP_SERVER"] = "kafka:9092"


def _no_database_url(cluster: Cluster, _: Doc) -> None:
    del cluster.secret["stringData"]["PLANNING_DATABASE_URL"]


def _gateway_to_wrong_host(cluster: Cluster, _: Doc) -> None:
    (config_map,) = of_kind(cluster.objects, "ConfigMap")
    config_map["data"][env_name(settings_of("gateway"), "deals_url")] = "http://deal:8000"


def _root_filesystem_writable(cluster: Cluster, _: Doc) -> None:
    _container_of(cluster, "gateway")["securityContext"]["readOnlyRootFilesystem"] = False


def _compose_renamed(_: Cluster, compose: Doc) -> None:
    compose["services"]["deal"] = compose["services"].pop("deals")


def _compose_no_secret(_: Cluster, compose: Doc) -> None:
    del compose["services"]["gateway"]["environment"]["CRM_IDENTITY_SECRET"]


def _compose_unknown_variable(_: Cluster, compose: Doc) -> None:
    compose["services"]["calendar"]["environment"]["CALENDAR_DB_URL"] = "postgresql://x"


def _backend_open_to_all(cluster: Cluster, _: Doc) -> None:
    (policy,) = named(cluster.objects, "NetworkPolicy", "backends-from-the-gateway")
    del policy["spec"]["ingress"][0]["from"]


def _backend_from_another_pod(cluster: Cluster, _: Doc) -> None:
    (policy,) = named(cluster.objects, "NetworkPolicy", "backends-from-the-gateway")
    policy["spec"]["ingress"][0]["from"][0]["podSelector"]["matchLabels"] = {"app": "other"}


def _no_default_deny(cluster: Cluster, _: Doc) -> None:
    cluster.objects.remove(named(cluster.objects, "NetworkPolicy", "default-deny-ingress")[0])


def _kafka_open_to_another_namespace(cluster: Cluster, _: Doc) -> None:
    (policy,) = named(cluster.data_access, "NetworkPolicy", "kafka-from-the-crm")
    policy["spec"]["ingress"][0]["from"].append({"namespaceSelector": {}})


def _postgres_refusing_the_job(cluster: Cluster, _: Doc) -> None:
    (policy,) = named(cluster.data_access, "NetworkPolicy", "postgres-from-the-crm")
    peer = policy["spec"]["ingress"][0]["from"][0]
    peer["podSelector"]["matchLabels"]["app.kubernetes.io/component"] = "backend"


def _scaled_group_misnamed(cluster: Cluster, _: Doc) -> None:
    cluster.keda[0]["spec"]["triggers"][0]["metadata"]["consumerGroup"] = "crm"


def _scaled_threshold_a_number(cluster: Cluster, _: Doc) -> None:
    cluster.keda[0]["spec"]["triggers"][0]["metadata"]["lagThreshold"] = 100


def _scaled_and_an_hpa(cluster: Cluster, _: Doc) -> None:
    (hpa,) = named(cluster.objects, "HorizontalPodAutoscaler", "gateway")
    twin = copy.deepcopy(hpa)
    twin["metadata"]["name"] = "planning"
    twin["spec"]["scaleTargetRef"]["name"] = "planning"
    cluster.objects.append(twin)


Breakage = Callable[[Cluster, Doc], None]


@pytest.mark.parametrize(
    ("breakage", "check"),
    [
        (_drop_readiness, kubernetes_service_problems),
        (_liveness_on_readyz, kubernetes_service_problems),
        (_probe_wrong_port, kubernetes_service_problems),
        (_drop_service, kubernetes_service_problems),
        (_serve_twice, kubernetes_service_problems),
        (_misspelt_variable, kubernetes_environment_problems),
        (_no_database_url, kubernetes_environment_problems),
        (_gateway_to_wrong_host, kubernetes_gateway_problems),
        (_root_filesystem_writable, pod_security_problems),
        (_compose_renamed, compose_problems),
        (_compose_no_secret, compose_problems),
        (_compose_unknown_variable, compose_problems),
        (_backend_open_to_all, network_policy_problems),
        (_backend_from_another_pod, network_policy_problems),
        (_no_default_deny, network_policy_problems),
        (_kafka_open_to_another_namespace, data_access_problems),
        (_postgres_refusing_the_job, data_access_problems),
        (_scaled_group_misnamed, keda_problems),
        (_scaled_threshold_a_number, keda_problems),
        (_scaled_and_an_hpa, keda_problems),
    ],
    ids=lambda value: getattr(value, "__name__", "").strip("_"),
)
def test_the_checks_report_a_broken_copy_of_the_manifests(
    cluster: Cluster, compose: Doc, breakage: Breakage, check: Callable[..., list[str]]
) -> None:
    broken_cluster, broken_compose = copy.deepcopy(cluster), copy.deepcopy(compose)
    breakage(broken_cluster, broken_compose)

    argument = broken_compose if check is compose_problems else broken_cluster
    assert check(argument) != []


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('ENTRYPOINT ["crm"]', 'ENTRYPOINT ["python", "-m", "services.cli"]'),
        ("USER 10001:10001", "USER root"),
        ("USER 10001:10001", "USER crm"),
        ("pip install --no-deps .", "pip install --no-deps -e ."),
    ],
)
def test_the_dockerfile_check_reports_a_broken_copy(old: str, new: str) -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")

    assert old in text
    assert dockerfile_problems(text.replace(old, new)) != []


def test_the_strimzi_topics_are_the_declared_ones() -> None:
    """deploy/k8s/strimzi/kafka-topics.yaml is what `crm topics strimzi` makes of shared/topics.py."""
    from shared.topics import declared_topics

    written = (K8S / "strimzi" / "kafka-topics.yaml").read_text()
    resources = list(yaml.safe_load_all(written))

    assert written == cli.strimzi_yaml(), "run `crm topics strimzi`"
    assert [r["spec"]["topicName"] for r in resources] == [t.name for t in declared_topics()]
    snapshot = next(r for r in resources if r["spec"]["topicName"] == "crm.deals.deal.snapshot")
    assert snapshot["spec"]["config"]["cleanup.policy"] == "compact"
