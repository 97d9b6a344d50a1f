"""SoC at pull-in on the pages: a bus that does not get there says so, never "-21 %"."""

from depotdispatch.web.templating import soc_in


def test_soc_at_pull_in_below_zero_reads_as_running_out() -> None:
    assert soc_in(-21.4) == "runs out (21 % short)"
    assert soc_in(0.0) == "0 %" and soc_in(61.2) == "61 %" and soc_in(None) == "—"


def test_a_hair_short_is_not_0_percent_short() -> None:
    assert soc_in(-0.3) == "runs out (less than 1 % short)" and soc_in(-0.0) == "0 %"
