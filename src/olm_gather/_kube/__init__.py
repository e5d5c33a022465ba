"""Talking to the API server: connection from kubeconfig, requests, pagination, discovery, concurrency.
Nothing outside this package sends a request or sees a client-library exception."""

from olm_gather._kube._client import Fetch, Kube, Obj
from olm_gather._kube._connect import Connection, connect
from olm_gather._kube._discovery import Discovery, Resource

__all__ = ["Connection", "Discovery", "Fetch", "Kube", "Obj", "Resource", "connect"]
