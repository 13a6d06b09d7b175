-- Example queries against a bbmirror database (schema v1, schema/README.md).
-- Each query is preceded by a "-- title:" line; contrib/demo.sh runs them all.

-- title: Builds per builder and result
SELECT bl.name AS builder, coalesce(rc.name, 'unfinished') AS result,
       count(*) AS builds
FROM builds b
JOIN builders bl ON bl.id = b.builder_id
LEFT JOIN result_codes rc ON rc.code = b.results
GROUP BY bl.name, rc.name
ORDER BY bl.name, builds DESC;

-- title: The five most recent failed builds, with their reason
SELECT bl.name AS builder, b.number,
       datetime(b.started_at, 'unixepoch') AS started,
       round(b.finished_at - b.started_at, 1) AS seconds, b.reason
FROM builds b JOIN builders bl ON bl.id = b.builder_id
WHERE b.results = 2
ORDER BY b.started_at DESC
LIMIT 5;

-- title: Slowest steps on average
SELECT s.name AS step, count(*) AS runs,
       round(avg(s.finished_at - s.started_at), 2) AS avg_seconds
FROM steps s
WHERE s.finished_at IS NOT NULL AND s.started_at IS NOT NULL
GROUP BY s.name
ORDER BY avg_seconds DESC
LIMIT 5;

-- title: Builds that ran a given change's revision (first change found)
SELECT c.revision, c.author, bl.name AS builder, b.number,
       coalesce(rc.name, 'unfinished') AS result
FROM changes c
JOIN build_changes bc ON bc.change_id = c.id
JOIN builds b ON b.id = bc.build_id
JOIN builders bl ON bl.id = b.builder_id
LEFT JOIN result_codes rc ON rc.code = b.results
WHERE c.id = (SELECT min(change_id) FROM build_changes)
ORDER BY b.started_at;

-- title: Largest logs (read one with: bbmirror-log ID)
SELECT l.id, bl.name AS builder, b.number AS build, s.name AS step,
       l.name AS log, l.text_bytes, l.lines, l.state
FROM logs l
JOIN steps s ON s.id = l.step_id
JOIN builds b ON b.id = s.build_id
JOIN builders bl ON bl.id = b.builder_id
ORDER BY l.text_bytes DESC
LIMIT 5;
