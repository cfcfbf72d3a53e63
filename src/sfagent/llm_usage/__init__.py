"""LLM spending per tenant: the usage table, the database meter, the runtime and its report."""
