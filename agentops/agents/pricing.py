"""Token prices, for the CLIs that report tokens instead of dollars (codex, gemini) and for the
running estimate of a claude run before its final result.

USD per million tokens. The defaults are list prices as published by the providers in 2026 (OpenAI
API pricing page, Google Gemini API pricing, Anthropic pricing); `prices:` in agentops.yaml adds or
overrides entries. A model with no price gives an unknown cost, which the budget charges as the
run's cap (fail closed), never as $0.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from agentops.settings import PriceConfig

DEFAULT_PRICES: dict[str, PriceConfig] = {
    # OpenAI
    "gpt-5.6-sol": PriceConfig(input=5.0, output=30.0, cached_input=0.5),
    "gpt-5.6-terra": PriceConfig(input=2.5, output=15.0, cached_input=0.25),
    "gpt-5.6-luna": PriceConfig(input=1.0, output=6.0, cached_input=0.1),
    "gpt-5.5": PriceConfig(input=5.0, output=30.0, cached_input=0.5),
    "gpt-5.4": PriceConfig(input=2.5, output=15.0, cached_input=0.25),
    "gpt-5.4-mini": PriceConfig(input=0.75, output=4.5, cached_input=0.075),
    "gpt-5": PriceConfig(input=1.25, output=10.0, cached_input=0.125),
    "gpt-5-mini": PriceConfig(input=0.25, output=2.0, cached_input=0.025),
    "gpt-4.1": PriceConfig(input=2.0, output=8.0, cached_input=0.5),
    # Google
    "gemini-3.1-pro": PriceConfig(input=2.0, output=12.0, cached_input=0.2),
    "gemini-2.5-pro": PriceConfig(input=1.25, output=10.0, cached_input=0.125),
    "gemini-2.5-flash": PriceConfig(input=0.3, output=2.5, cached_input=0.03),
    # Anthropic (claude reports dollars itself; these only feed the estimate while it runs)
    "claude-opus-4-8": PriceConfig(input=5.0, output=25.0, cached_input=0.5),
    "claude-sonnet-4-5": PriceConfig(input=3.0, output=15.0, cached_input=0.3),
    "claude-haiku-4-5": PriceConfig(input=1.0, output=5.0, cached_input=0.1),
}


@dataclass(frozen=True)
class Prices:
    overrides: Mapping[str, PriceConfig] = field(default_factory=dict)

    def get(self, model: str | None) -> PriceConfig | None:
        """The price of `model`: an exact entry, else the longest entry it extends with "-..."
        (a dated snapshot such as gpt-5.5-2026-04-01); None when unknown."""
        if not model:
            return None
        table = {**DEFAULT_PRICES, **self.overrides}
        if model in table:
            return table[model]
        best = max((k for k in table if model.startswith(k + "-")), key=len, default=None)
        return table[best] if best else None

    def cost(self, model: str | None, *, input_tokens: int, output_tokens: int,
             cached_input_tokens: int = 0) -> float | None:
        """USD for the tokens; `input_tokens` includes the cached ones (as codex and gemini report)."""
        price = self.get(model)
        if price is None:
            return None
        cached = min(max(cached_input_tokens, 0), max(input_tokens, 0))
        cached_rate = price.input if price.cached_input is None else price.cached_input
        usd = ((input_tokens - cached) * price.input + cached * cached_rate + output_tokens * price.output) / 1e6
        return round(usd, 6)
