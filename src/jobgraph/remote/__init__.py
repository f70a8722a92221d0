"""Remote SPARQL servers: the HTTP client (``client``), the endpoint backend (``backend``) and the
pusher (``pusher``); every name below is importable from ``jobgraph.remote``."""

from .backend import (
    GRAPH_PREFIX,
    TEMP_PREFIX,
    EndpointBackend,
    ServerInfo,
    bind,
    probe,
    result_from_json,
)
from .client import (
    DEFAULT_TIMEOUT,
    Client,
    Endpoint,
    HttpStatusError,
    RetryPolicy,
    excerpt,
    safe_url,
    scrub,
)
from .pusher import (
    PROGRESS_MIN_TRIPLES,
    GraphData,
    Pushed,
    Pusher,
    PushResult,
    chunks,
    graphs_of,
    push,
    store_graphs,
    temp_graph,
)

__all__ = ["DEFAULT_TIMEOUT", "GRAPH_PREFIX", "PROGRESS_MIN_TRIPLES", "TEMP_PREFIX", "Client",
           "Endpoint", "EndpointBackend", "GraphData", "HttpStatusError", "PushResult", "Pushed",
           "Pusher", "RetryPolicy", "ServerInfo", "bind", "chunks", "excerpt", "graphs_of",
           "probe", "push", "result_from_json", "safe_url", "scrub", "store_graphs",
           "temp_graph"]
