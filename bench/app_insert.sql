-- pgbench: one item insert as POST /api/items writes it (the triggers keep counts and version).
\set owner random(1, 40)
INSERT INTO items (name, name_folded, description, is_active, created_at, updated_at, user_id)
VALUES ('pgbench item', 'pgbench item', '', true, now(), now(), :owner);
