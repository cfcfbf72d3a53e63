"""sfagent: a self-hostable AI customer-service agent for Salesforce customers."""

__version__ = "0.1.0"
