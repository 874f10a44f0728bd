INSERT INTO api_quota AS q (caller, endpoint, tat_us, checked_us, allowed)
SELECT $1, $2,
       ARRAY(SELECT c.now_us + w.i
             FROM unnest($4::bigint[]) WITH ORDINALITY AS w(i, n)
             ORDER BY w.n),
       c.now_us,
       true
FROM (SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint AS now_us) AS c
ON CONFLICT (caller, endpoint) DO UPDATE SET
    allowed = (SELECT coalesce(bool_and(greatest(w.t, excluded.checked_us) + w.i - excluded.checked_us <= w.p), true)
               FROM unnest(q.tat_us, $3::bigint[], $4::bigint[]) AS w(t, p, i)
               WHERE w.p IS NOT NULL),
    tat_us = CASE
        WHEN (SELECT coalesce(bool_and(greatest(w.t, excluded.checked_us) + w.i - excluded.checked_us <= w.p), true)
              FROM unnest(q.tat_us, $3::bigint[], $4::bigint[]) AS w(t, p, i)
              WHERE w.p IS NOT NULL)
        THEN ARRAY(SELECT greatest(w.t, excluded.checked_us) + w.i
                   FROM unnest(q.tat_us, $3::bigint[], $4::bigint[]) WITH ORDINALITY AS w(t, p, i, n)
                   WHERE w.p IS NOT NULL
                   ORDER BY w.n)
        ELSE q.tat_us
    END,
    checked_us = excluded.checked_us
RETURNING allowed,
    ARRAY(SELECT greatest(w.t + w.i - w.p - checked_us, 0)
          FROM unnest(tat_us, $3::bigint[], $4::bigint[]) WITH ORDINALITY AS w(t, p, i, n)
          WHERE w.p IS NOT NULL
          ORDER BY w.n) AS waits_us
