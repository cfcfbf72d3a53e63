"""Stateless diagnostics over HTTP: `/api/v1/analyze/{apex,soql,log,error}`."""
