"""Record helpers: counting distinct ids."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st


@settings(max_examples=100, deadline=None)
@given(ids=st.lists(st.integers(-5, 5), max_size=40), sort=st.booleans())
def test_count_distinct_is_the_size_of_unique(ids, sort):
    from tradeflow.core.records import count_distinct

    a = np.array(sorted(ids) if sort else ids, np.int64)
    assert count_distinct(a) == np.unique(a).shape[0]
