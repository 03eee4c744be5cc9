"""Clock compliance by ticket category, from the clock rows of :func:`fcsim.kpi.control_points`."""

from __future__ import annotations

import pandas as pd

__all__ = ["clock_compliance"]


def clock_compliance(clocks: pd.DataFrame, tickets: pd.DataFrame) -> pd.DataFrame:
    """Share of decided clock instances that were met, per category and clock.

    Parameters
    ----------
    clocks
        Clock rows (control_points columns: scenario, replication, ticket_id, control_point,
        status …).
    tickets
        The log's tickets table (ticket_id, category, scenario, replication).

    Returns
    -------
    DataFrame
        category, control_point, met, late (breached + missing), censored, share_met
        (met / (met + late); NaN when nothing is decided).
    """
    cols = ["category", "control_point", "met", "late", "censored", "share_met"]
    if clocks.empty:
        return pd.DataFrame(columns=cols)

    def norm(df: pd.DataFrame) -> pd.DataFrame:
        return df.assign(
            _s=df["scenario"].astype(object).fillna("").astype(str),
            _r=pd.to_numeric(df["replication"].astype(object)).astype("Int64").fillna(-1),
            _t=df["ticket_id"].astype(str),
        )

    c = norm(clocks)
    t = norm(tickets)[["_s", "_r", "_t", "category"]]
    m = c.merge(t, on=["_s", "_r", "_t"], how="left", validate="many_to_one")
    if m["category"].isna().any():
        bad = m.loc[m["category"].isna(), "ticket_id"].iloc[0]
        raise ValueError(f"clock rows: ticket {bad!r} has no row in the tickets table")
    st = m["status"].astype(str)
    m = m.assign(
        category=m["category"].astype(str), met=st.eq("met"),
        late=st.isin(["breached", "missing"]), censored=st.eq("censored"),
    )
    out = m.groupby(["category", "control_point"], sort=True)[["met", "late", "censored"]].sum()
    out = out.astype(int).reset_index()
    decided = out["met"] + out["late"]
    out["share_met"] = (out["met"] / decided.where(decided > 0)).astype(float)
    return out[cols]
