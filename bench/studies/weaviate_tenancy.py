"""Weaviate layout choice, measured: one collection per AutBot collection vs one collection with one tenant
per AutBot collection (multi-tenancy). Same data, same queries, one local Weaviate node.

    uv run python -m bench.studies.weaviate_tenancy [--collections 40] [--vectors 2000]

Results: a Markdown table, and bench/results/weaviate_tenancy.json (``--out`` to write elsewhere).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from tests.support.weaviate import WeaviateNodes

from bench._support.measure import percentile
from bench._support.results import add_out_argument, stamp, write_json


def main() -> int:
    import weaviate
    from weaviate.classes.config import Configure, DataType, Property, VectorDistances
    from weaviate.classes.data import DataObject
    from weaviate.classes.tenants import Tenant

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--collections", type=int, default=40)
    parser.add_argument("--vectors", type=int, default=2000)
    add_out_argument(parser, "weaviate_tenancy")
    args = parser.parse_args()

    node = WeaviateNodes(Path(tempfile.mkdtemp(prefix="autbot-tenancy-"))).start()
    rng = np.random.default_rng(7)
    data = rng.standard_normal((args.collections, args.vectors, 384)).astype(np.float32)
    data /= np.linalg.norm(data, axis=2, keepdims=True)
    queries = rng.standard_normal((100, 384)).astype(np.float32)
    vector_config = Configure.Vectors.self_provided(
        vector_index_config=Configure.VectorIndex.hnsw(distance_metric=VectorDistances.COSINE)
    )
    props = [Property(name="text", data_type=DataType.TEXT)]
    out: dict[str, dict[str, float]] = {}
    client = weaviate.connect_to_local(port=node.http_port(), grpc_port=node.grpc_port())
    try:

        def measure(create: Callable[[], Callable[[int], Any]]) -> dict[str, float]:
            """create() makes the layout and returns AutBot collection i's handle; load all, then search."""
            t = time.perf_counter()
            handle = create()
            created = time.perf_counter() - t
            t = time.perf_counter()
            for i in range(args.collections):
                handle(i).data.insert_many(
                    [DataObject(properties={"text": str(j)}, vector=v.tolist()) for j, v in enumerate(data[i])]
                )
            loaded = time.perf_counter() - t
            lat = []
            for k, q in enumerate(queries):
                col = handle(k % args.collections)
                t = time.perf_counter()
                col.query.near_vector(q.tolist(), limit=10)
                lat.append((time.perf_counter() - t) * 1000)
            return {
                "create_s": created,
                "load_s": loaded,
                "p50_ms": percentile(lat, 50),
                "p99_ms": percentile(lat, 99),
            }

        def per_collection() -> Callable[[int], Any]:
            for i in range(args.collections):
                client.collections.create(f"Percol_{i}", properties=props, vector_config=vector_config)
            return lambda i: client.collections.use(f"Percol_{i}")

        def tenants() -> Callable[[int], Any]:
            mt = client.collections.create(
                "Tenanted",
                properties=props,
                vector_config=vector_config,
                multi_tenancy_config=Configure.multi_tenancy(enabled=True),
            )
            mt.tenants.create([Tenant(name=f"t{i}") for i in range(args.collections)])
            return lambda i: mt.with_tenant(f"t{i}")

        out["collection per AutBot collection"] = measure(per_collection)
        out["tenant per AutBot collection"] = measure(tenants)
    finally:
        client.close()
        node.stop()
    base = out["collection per AutBot collection"]
    print(f"{args.collections} AutBot collections x {args.vectors} vectors (384-d), 100 queries, one node\n")
    print("| layout | create all (s) | load all (s) | search p50 ms | search p99 ms | p50 vs per-collection |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, r in out.items():
        print(
            f"| {name} | {r['create_s']:.2f} | {r['load_s']:.2f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | "
            f"{r['p50_ms'] / base['p50_ms']:.2f}x |"
        )
    settings = {"collections": args.collections, "vectors": args.vectors, "dimension": 384, "queries": 100}
    write_json(args.out, {**stamp(), "settings": settings, "layouts": out})
    return 0


if __name__ == "__main__":
    sys.exit(main())
