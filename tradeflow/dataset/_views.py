"""Ready SQL views over a runs dataset (DuckDB): each a plain ``SELECT`` over the tables, so the same
text works in any DuckDB session that has the tables as views (see ``RunsDataset.connect``)."""

from __future__ import annotations

VIEWS: dict[str, tuple[str, str]] = {
    "daily_pnl": (
        "P&L of each book on each day of each run (base currency), from the daily P&L explain",
        """
        SELECT run, book, trade_date, total_pnl AS pnl, new_trade_pnl, market_move_pnl, fees, penalties,
               fx_translation, residual
        FROM explain
        """),
    "book_pnl": (
        "each book's P&L and exposure at the last close of each run (book -1 is not in pnl: sum the books)",
        """
        SELECT run, book, arg_max(realized_pnl, ts) AS realized_pnl, arg_max(unrealized_pnl, ts) AS unrealized_pnl,
               arg_max(fees, ts) AS fees, arg_max(total_pnl, ts) AS total_pnl,
               arg_max(gross_exposure, ts) AS gross_exposure
        FROM pnl GROUP BY run, book
        """),
    "var_exceptions": (
        "each day after the first of each run, per book (-1: the desk): the day's P&L, the 1-day VaR "
        "reported at the previous close and whether the loss exceeded it (as RunResult.var_backtest)",
        """
        WITH close AS (
            SELECT run, book, CAST(ts AS DATE) AS trade_date,
                   arg_max(total_pnl, ts) AS total_pnl, arg_max(var_1d, ts) AS var_1d
            FROM risk GROUP BY run, book, CAST(ts AS DATE)),
        days AS (
            SELECT run, book, trade_date,
                   total_pnl - lag(total_pnl) OVER w AS pnl, lag(var_1d) OVER w AS var_1d
            FROM close WINDOW w AS (PARTITION BY run, book ORDER BY trade_date))
        SELECT run, book, trade_date, pnl, var_1d, -pnl > var_1d AS exception
        FROM days WHERE var_1d IS NOT NULL
        """),
    "settlement_fails": (
        "settlement attempts (obligation-days due) and fails per run, market (MIC), currency and fail reason; "
        "attempts are the market's, repeated on each reason's row",
        """
        WITH due AS (
            SELECT h.run, i.mic AS market, CAST(h.currency AS VARCHAR) AS currency, CAST(h.status AS VARCHAR)
                   AS status, CAST(h.fail_reason AS VARCHAR) AS fail_reason
            FROM settlement_history h JOIN instruments i
              ON h.run = i.run AND CAST(h.instrument AS VARCHAR) = i.symbol
            WHERE CAST(h.status AS VARCHAR) <> 'PENDING'),
        markets AS (SELECT run, market, currency, count(*) AS attempts FROM due GROUP BY run, market, currency),
        fails AS (
            SELECT run, market, currency, fail_reason, count(*) AS fails FROM due
            WHERE status IN ('FAILED', 'PARTIALLY_SETTLED') GROUP BY run, market, currency, fail_reason)
        SELECT m.run, m.market, m.currency, f.fail_reason, coalesce(f.fails, 0) AS fails, m.attempts
        FROM markets m LEFT JOIN fails f USING (run, market, currency)
        """),
    "breaks_by_kind": (
        "reconciliation breaks per run and kind: rows reported, and breaks first seen that day (new)",
        """
        SELECT run, CAST(kind AS VARCHAR) AS kind, count(*) AS breaks,
               count(*) FILTER (WHERE as_of = first_seen) AS new_breaks
        FROM breaks GROUP BY run, CAST(kind AS VARCHAR)
        """),
    "fills_by_book": (
        "fills per run and book: count, quantity, traded notional, cash flow (sells - buys) and fees, "
        "in the instruments' currencies",
        """
        SELECT run, book, count(*) AS n_fills, sum(qty) AS qty, sum(qty * price) AS notional,
               sum(CASE WHEN CAST(side AS VARCHAR) = 'SELL' THEN qty * price ELSE -qty * price END) AS cash_flow,
               sum(fee) AS fees
        FROM fills GROUP BY run, book
        """),
}
