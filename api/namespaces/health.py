from typing import Any

from flask_restx import Namespace, Resource, fields

from models import db

ns = Namespace("health", description="Service health", path="/")

health_model = ns.model(
    "Health",
    {
        "status": fields.String(required=True, enum=["healthy", "unhealthy"], example="healthy"),
        "service": fields.String(required=True, example="backend"),
        "database": fields.String(required=True, enum=["ok", "unreachable"], example="ok"),
    },
)


@ns.route("/health")
class Health(Resource):
    @ns.doc(id="getHealth", security=[])
    @ns.response(200, "Healthy", health_model)
    @ns.response(503, "The database cannot be reached", health_model)
    def get(self) -> tuple[dict[str, Any], int]:
        """Report whether the service and its database are up.

        Answers 503 with `status: unhealthy` when the database cannot be reached.
        """
        try:
            with db.engine.connect() as connection:  # no ORM session needed for a ping
                connection.exec_driver_sql("SELECT 1")
        except Exception:
            return {"status": "unhealthy", "service": "backend", "database": "unreachable"}, 503
        return {"status": "healthy", "service": "backend", "database": "ok"}, 200
