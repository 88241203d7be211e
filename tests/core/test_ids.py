"""Time-ordered identifiers."""

import time

from betang.core.ids import new_id


def test_ids_are_version_7_unique_and_grow_with_time():
    first = [new_id() for _ in range(1000)]
    time.sleep(0.002)
    later = new_id()
    assert len(set(first)) == 1000
    assert all(i.version == 7 and i.variant == "specified in RFC 4122" for i in first)
    assert later > max(first)
    assert later.hex > max(first).hex  # SQLite stores the hex: the order holds there too


def test_hex_ids_are_the_same_kind_and_never_repeat_across_the_pool_or_threads():
    import uuid
    from concurrent.futures import ThreadPoolExecutor

    from betang.core import ids

    def mint(_):
        return [ids.new_id_hex() for _ in range(3 * ids._POOL_IDS)]  # past the pool's refills

    with ThreadPoolExecutor(4) as pool:
        minted = [i for batch in pool.map(mint, range(4)) for i in batch]
    assert len(set(minted)) == len(minted)
    assert all(uuid.UUID(i).version == 7 for i in minted[:100])


def test_a_forked_child_mints_other_ids_than_its_parent():
    import os

    from betang.core.ids import new_id_hex

    new_id_hex()  # the parent's pool holds bytes the child would otherwise inherit
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.write(write, "".join(new_id_hex() for _ in range(10)).encode())
        os._exit(0)
    os.waitpid(pid, 0)
    child = os.read(read, 320).decode()
    parent = "".join(new_id_hex() for _ in range(10))
    assert {child[i : i + 32][12:] for i in range(0, 320, 32)}.isdisjoint(
        {parent[i : i + 32][12:] for i in range(0, 320, 32)}
    )
