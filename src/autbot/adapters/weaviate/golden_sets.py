"""``WeaviateGoldenSetStore``: each collection's golden set and evaluations in two shared Weaviate collections
(``AutbotGoldenSets``, ``AutbotEvaluations``, created by schema version 2), so every replica reads the same."""

from __future__ import annotations

from typing import Any

from autbot.adapters.golden_codec import evaluation_json, evaluation_of, golden_json, golden_of
from autbot.adapters.weaviate.connection import WeaviateConnection
from autbot.adapters.weaviate.schema import EVALUATIONS, GOLDEN_SETS, create_golden_set_collections
from autbot.domain.errors import IndexWriteFailed
from autbot.domain.golden_sets import Evaluation, GoldenSet
from autbot.domain.ids import object_uuid


class WeaviateGoldenSetStore:
    def __init__(self, connection: WeaviateConnection, *, replication_factor: int = 1) -> None:
        self._conn = connection
        self._replication = replication_factor

    def put(self, collection: str, golden: GoldenSet) -> None:
        props = {"collection": collection, "body": golden_json(golden), "updated_at": golden.updated_at}
        self._conn.call(lambda: self._upsert(GOLDEN_SETS, object_uuid("golden-set", collection), props))

    def get(self, collection: str) -> GoldenSet | None:
        def run() -> GoldenSet | None:
            self._ready()
            obj = self._conn.collection(GOLDEN_SETS).query.fetch_object_by_id(object_uuid("golden-set", collection))
            return None if obj is None else golden_of(str(obj.properties["body"]), float(obj.properties["updated_at"]))

        return self._conn.call(run)

    def add_evaluation(self, evaluation: Evaluation, *, keep: int) -> None:
        props = {
            "collection": evaluation.collection,
            "evaluation_id": evaluation.id,
            "created_at": evaluation.created_at,
            "body": evaluation_json(evaluation),
        }

        def run() -> None:
            self._upsert(EVALUATIONS, object_uuid("evaluation", evaluation.collection, evaluation.id), props)
            for old in self._newest(evaluation.collection, limit=keep + 100)[keep:]:
                uid = object_uuid("evaluation", evaluation.collection, old.id)
                self._conn.collection(EVALUATIONS).data.delete_by_id(uid)

        self._conn.call(run)

    def evaluations(self, collection: str, *, limit: int) -> list[Evaluation]:
        return self._conn.call(lambda: self._newest(collection, limit=limit))

    def remove(self, collection: str) -> None:
        from weaviate.classes.query import Filter

        def run() -> None:
            self._ready()
            self._conn.collection(GOLDEN_SETS).data.delete_by_id(object_uuid("golden-set", collection))
            self._conn.delete_all(EVALUATIONS, Filter.by_property("collection").equal(collection))

        self._conn.call(run)

    def _newest(self, collection: str, *, limit: int) -> list[Evaluation]:
        from weaviate.classes.query import Filter, Sort

        self._ready()
        objs = (
            self._conn.collection(EVALUATIONS)
            .query.fetch_objects(
                filters=Filter.by_property("collection").equal(collection),
                sort=Sort.by_property("created_at", ascending=False),
                limit=limit,
            )
            .objects
        )
        return [_evaluation(o.properties) for o in objs]

    def _upsert(self, name: str, uid: Any, props: dict[str, Any]) -> None:
        from weaviate.classes.data import DataObject

        self._ready()
        result = self._conn.insert_many(self._conn.collection(name), [DataObject(uuid=uid, properties=props)])
        if result.has_errors:
            raise IndexWriteFailed(f"Weaviate rejected the {name} record.", failed_ids=[])

    def _ready(self) -> None:
        create_golden_set_collections(self._conn, self._replication)


def _evaluation(p: Any) -> Evaluation:
    return evaluation_of(str(p["collection"]), str(p["evaluation_id"]), float(p["created_at"]), str(p["body"]))
