"""Business rules per tenant: stored, versioned and audited; dry-run against a message.

The rules engine (`sfagent.rules`) validates and evaluates; this domain keeps each tenant's
rules under `/api/v1/admin/rules` and builds the facts a rule sees (`facts.build_facts`).
"""
