"""LLM usage: per tenant, month, provider and model, the calls, tokens and dollars spent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from sfagent.db.base import Base, utcnow


class LlmUsage(Base):
    """One tenant's running totals for one model in one calendar month (UTC)."""

    __tablename__ = "llm_usage"

    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    period: Mapped[str] = mapped_column(String(7), primary_key=True)  # "YYYY-MM"
    provider: Mapped[str] = mapped_column(String(32), primary_key=True)
    model: Mapped[str] = mapped_column(String(200), primary_key=True)
    calls: Mapped[int] = mapped_column(Integer, default=0)
    # Calls of a model missing from SFAGENT_LLM_PRICES: counted at 0 dollars, so visible here.
    unpriced_calls: Mapped[int] = mapped_column(Integer, default=0)
    prompt_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    completion_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    # Exact decimal in the database; floats in Python (sums of per-call prices, not ledgers).
    cost_usd: Mapped[float] = mapped_column(Numeric(18, 8, asdecimal=False), default=0.0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
