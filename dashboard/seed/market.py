"""Deterministic daily prices: one geometric random walk per symbol and currency, ending at a
plausible price on AS_OF. Stocks do not move on weekends. Prices are integer US cents."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dashboard.models.enums import AssetType
from dashboard.transactions.rules import CRYPTO_CURRENCIES as ACCEPTED_CRYPTO
from dashboard.seed import clock

# symbol, name, asset type, USD price on AS_OF, daily volatility
ASSETS: list[tuple[str, str, AssetType, float, float]] = [
    ("BTC", "Bitcoin", AssetType.CRYPTO, 94_250.00, 0.025),
    ("ETH", "Ethereum", AssetType.CRYPTO, 3_148.50, 0.032),
    ("SOL", "Solana", AssetType.CRYPTO, 142.30, 0.042),
    ("XRP", "XRP", AssetType.CRYPTO, 2.12, 0.040),
    ("BNB", "BNB", AssetType.CRYPTO, 912.40, 0.026),
    ("ADA", "Cardano", AssetType.CRYPTO, 0.46, 0.040),
    ("DOGE", "Dogecoin", AssetType.CRYPTO, 0.17, 0.045),
    ("AVAX", "Avalanche", AssetType.CRYPTO, 14.55, 0.042),
    ("LINK", "Chainlink", AssetType.CRYPTO, 13.20, 0.040),
    ("LTC", "Litecoin", AssetType.CRYPTO, 88.10, 0.034),
    ("DOT", "Polkadot", AssetType.CRYPTO, 2.95, 0.040),
    ("AAPL", "Apple Inc.", AssetType.STOCK, 268.40, 0.015),
    ("MSFT", "Microsoft Corp.", AssetType.STOCK, 505.10, 0.014),
    ("NVDA", "NVIDIA Corp.", AssetType.STOCK, 182.70, 0.028),
    ("AMZN", "Amazon.com Inc.", AssetType.STOCK, 224.30, 0.018),
    ("GOOGL", "Alphabet Inc.", AssetType.STOCK, 289.90, 0.017),
    ("META", "Meta Platforms Inc.", AssetType.STOCK, 590.20, 0.022),
    ("TSLA", "Tesla Inc.", AssetType.STOCK, 402.80, 0.032),
    ("JPM", "JPMorgan Chase & Co.", AssetType.STOCK, 304.60, 0.013),
    ("V", "Visa Inc.", AssetType.STOCK, 330.15, 0.011),
    ("JNJ", "Johnson & Johnson", AssetType.STOCK, 196.40, 0.010),
    ("KO", "Coca-Cola Co.", AssetType.STOCK, 70.25, 0.009),
    ("DIS", "Walt Disney Co.", AssetType.STOCK, 108.60, 0.016),
    ("NFLX", "Netflix Inc.", AssetType.STOCK, 108.90, 0.022),
    ("AMD", "Advanced Micro Devices", AssetType.STOCK, 230.40, 0.030),
    ("BRK.B", "Berkshire Hathaway B", AssetType.STOCK, 505.75, 0.009),
    ("VOO", "Vanguard S&P 500 ETF", AssetType.STOCK, 610.30, 0.010),
]

# Currencies of deposits and withdrawals: code, USD value of one unit on AS_OF, daily volatility,
# and the smallest amount (in 1e-8 units): cents for fiat, satoshi-like units for crypto. Every crypto
# asset the treasury queue accepts (``transactions.rules.CRYPTO_CURRENCIES``) is a currency too, moving
# exactly like the holdings of the same symbol (a deposit of it becomes that holding), after these.
CURRENCIES: list[tuple[str, float, float, int]] = [
    ("USD", 1.0, 0.0, 1_000_000),
    ("EUR", 1.157, 0.004, 1_000_000),
    ("GBP", 1.318, 0.004, 1_000_000),
    ("USDT", 1.0, 0.0, 1),
    ("USDC", 1.0, 0.0, 1),
]
GHS_PER_USD = 12.35  # cedis per US dollar on AS_OF (seed 002 prices in cedis)


def _walk(rng: np.random.Generator, end_value: float, volatility: float, days: int, weekdays_only: bool,
          drift: float = 0.0) -> np.ndarray:
    """A random walk of ``days`` daily values ending at ``end_value``."""
    steps = rng.normal(drift, volatility, days)
    steps[0] = 0.0
    if weekdays_only:
        weekday = (np.arange(clock.HISTORY_START_DAY, clock.HISTORY_START_DAY + days) + 3) % 7  # 0 = Monday
        steps[weekday >= 5] = 0.0
    log_path = np.cumsum(steps)
    return end_value * np.exp(log_path - log_path[-1])


@dataclass
class Market:
    symbols: list[str]
    names: list[str]
    asset_types: np.ndarray  # str per symbol
    price_cents: np.ndarray  # [symbol, day] int64, day 0 = HISTORY_START_DAY
    currencies: list[str]
    usd_cents_per_unit: np.ndarray  # [currency, day] float: value of one unit in US cents
    quantum: np.ndarray  # [currency] smallest amount in 1e-8 units
    cedis_per_usd: np.ndarray  # [day]
    currency_asset: np.ndarray  # [currency] the holding symbol a currency is (its index), -1 for fiat/stablecoins

    def day_index(self, day_numbers: np.ndarray) -> np.ndarray:
        return np.asarray(day_numbers, dtype=np.int64) - clock.HISTORY_START_DAY

    def currency_index(self, code: str) -> int:
        return self.currencies.index(code)


def build_market(rng: np.random.Generator) -> Market:
    days = clock.AS_OF_DAY - clock.HISTORY_START_DAY + 1
    prices = []
    for _, _, asset_type, end_price, vol in ASSETS:
        path = _walk(rng, end_price, vol, days, weekdays_only=asset_type == AssetType.STOCK, drift=0.0004)
        prices.append(np.maximum(np.rint(path * 100), 1).astype(np.int64))
    codes, rates, quantum, asset = [], [], [], []
    for code, end_value, vol, unit in CURRENCIES:
        codes.append(code)
        rates.append(_walk(rng, end_value, vol, days, weekdays_only=False) * 100)
        quantum.append(unit)
        asset.append(-1)
    for i, (symbol, _, asset_type, _, _) in enumerate(ASSETS):
        if asset_type == AssetType.CRYPTO and symbol in ACCEPTED_CRYPTO:
            codes.append(symbol)
            rates.append(prices[i].astype(float))  # the holding's own price path
            quantum.append(1)
            asset.append(i)
    cedis = _walk(rng, GHS_PER_USD, 0.004, days, weekdays_only=False, drift=0.0002)
    return Market(
        symbols=[a[0] for a in ASSETS], names=[a[1] for a in ASSETS],
        asset_types=np.array([a[2].value for a in ASSETS]), price_cents=np.vstack(prices),
        currencies=codes, usd_cents_per_unit=np.vstack(rates),
        quantum=np.array(quantum, dtype=np.int64), cedis_per_usd=cedis, currency_asset=np.array(asset, dtype=np.int64),
    )
