"""Hosting the app behind a load balancer: haproxy.cfg and replicas.py (the same set-up without Docker)."""
