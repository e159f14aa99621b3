"""Every exported FIX message type checked with simplefix against the FIX 4.4 dictionary.

simplefix (not our code) parses each message and re-encodes its fields: its BodyLength (9) and
CheckSum (10) must be ours byte for byte. The required tags of each MsgType are those of the
FIX 4.4 specification (header 8/9/35/49/56/34/52, trailer 10; NewOrderSingle D, Order Cancel
Replace Request G, ExecutionReport 8, OrderCancelReject 9). Parties is a repeating group:
NoPartyIDs (453) first, then each party's PartyID (448), PartyIDSource (447), PartyRole (452).
MsgSeqNum (34) counts each direction 1, 2, 3, ... ExecType/OrdStatus follow the FIX order
state machine per ClOrdID, and a cancel/replace is one ExecType 5 report with the new total
OrderQty and the original's CumQty.
"""

import pytest

import tradeflow
from tests.conftest import small_config

simplefix = pytest.importorskip("simplefix")

HEADER = {8, 9, 35, 49, 56, 34, 52}
REQUIRED = {  # FIX 4.4 message bodies (OrderQtyData's 38 is required by the desk's use of D and G)
    "D": {11, 55, 54, 60, 40, 38},
    "G": {41, 11, 55, 54, 60, 40, 38},
    "8": {37, 17, 150, 39, 55, 54, 151, 14, 6},
    "9": {37, 11, 41, 39, 434},
}
STATE = {("0", "0"), ("F", "1"), ("F", "2"), ("4", "4"), ("C", "C"), ("8", "8"), ("5", "0"), ("5", "1")}
TERMINAL = {"2", "4", "C", "8"}


@pytest.fixture(scope="module")
def run_and_messages():
    # limits near the touch and orders of a few round lots, so some originals fill in part before their
    # replace (with the requoting makers' deeper touch, 15 bp limits of 100 shares almost never do)
    flow = {"algo_share": 0.2, "replace_rate": 0.2, "limit_offset_bps": 2.0, "median_qty": 400.0}
    run = tradeflow.simulate(small_config(1_500, flow=flow), seed=2, progress=False)
    return run, run.fix_messages(sender="DESK", target="XCHG")


def _parse(text):
    parser = simplefix.FixParser()
    parser.append_buffer(text.encode())
    msg = parser.get_message()
    assert msg is not None and parser.get_message() is None  # exactly one whole message
    return msg


def test_framing_required_tags_and_groups(run_and_messages):
    _, msgs = run_and_messages
    types = set()
    for text in msgs:
        msg = _parse(text)
        pairs = [(int(t), v.decode()) for t, v in msg.pairs]
        tags = [t for t, _ in pairs]
        assert tags[:3] == [8, 9, 35] and tags[-1] == 10 and pairs[0][1] == "FIX.4.4"
        # simplefix's own BodyLength and CheckSum of the same fields
        again = simplefix.FixMessage()
        for t, v in pairs:
            if t not in (9, 10):
                again.append_pair(t, v)
        assert again.encode() == text.encode()
        mt = pairs[2][1]
        types.add(mt)
        body = set(tags)
        missing = (HEADER | REQUIRED[mt] | {10}) - body
        assert not missing, (mt, missing, text)
        # every tag once, except inside the Parties group
        assert len(tags) == len(body)
        if 453 in body:
            i = tags.index(453)
            assert pairs[i][1] == "1" and tags[i + 1:i + 4] == [448, 447, 452]
            assert pairs[i + 1][1].startswith("CLIENT") and pairs[i + 2][1] == "D" and pairs[i + 3][1] == "3"
        else:
            assert 448 not in body
        if mt in ("D", "G"):
            assert 453 in body and (mt == "G") == (41 in body)
    assert types == {"D", "G", "8", "9"}


def test_sequence_numbers_per_direction(run_and_messages):
    _, msgs = run_and_messages
    seq = {"DESK": [], "XCHG": []}
    for text in msgs:
        msg = _parse(text)
        seq[msg.get(49).decode()].append(int(msg.get(34)))
        assert (msg.get(49) == b"DESK") == (msg.get(35) in (b"D", b"G"))
    for sender, s in seq.items():
        assert s == list(range(1, len(s) + 1)), sender


def test_exec_type_and_ord_status_transitions_and_replace(run_and_messages):
    run, msgs = run_and_messages
    last = {}  # ClOrdID -> (OrdStatus, CumQty) of its last report
    done = set()  # ClOrdIDs that can get no more reports
    n_replaced = n_carried = 0
    for text in msgs:
        msg = _parse(text)
        mt = msg.get(35).decode()
        if mt in ("D", "G"):
            continue
        cl = msg.get(11).decode()
        if mt == "9":
            assert msg.get(434) == b"2" and msg.get(102) in (b"0", b"1", b"99")
            done.add(cl)
            continue
        et, st = msg.get(150).decode(), msg.get(39).decode()
        assert (et, st) in STATE
        assert cl not in done, f"report after a terminal state for {cl}"
        qty, cum, leaves = int(msg.get(38)), int(msg.get(14)), int(msg.get(151))
        if cl not in last:
            assert et in ("0", "8", "5")  # the first report acknowledges (or refuses, or replaces)
        else:
            assert et not in ("0", "5") and cum >= last[cl][1]
        if st in ("0", "1", "2"):
            assert qty == cum + leaves
        if st == "2":
            assert leaves == 0
        if et == "5":  # Replaced: the original is done, CumQty carried over
            n_replaced += 1
            orig = msg.get(41).decode()
            assert orig != cl and orig in last and orig not in done
            assert cum == last[orig][1] and (st == "1") == (cum > 0)
            n_carried += cum > 0
            assert msg.get(37).decode() == orig or msg.get(37).decode() in last  # OrderID of the chain
            done.add(orig)
        last[cl] = (st, cum)
        if st in TERMINAL:
            done.add(cl)
    assert n_replaced > 20
    # fills of each order chain add up to what the orders filled
    orders = run.records["orders"]
    assert int(orders["filled_qty"].sum()) == sum(
        int(_parse(t).get(32)) for t in msgs if _parse(t).get(150) == b"F")
    assert n_carried > 0  # some originals had filled in part before their replace
