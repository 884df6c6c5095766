-- Migration 8: names typed at the password login that are no user's were stored as typed (a
-- password typed into the name box was kept in clear). From now on they are stored only as a
-- keyed hash; this removes the ones already stored. Names of users (present, or ever created,
-- changed or deleted according to the audit log) are kept. Released: never edit; add a new
-- numbered file instead.

DELETE FROM wb.login_failures
        WHERE username NOT IN (SELECT username FROM wb.users);

UPDATE wb.audit_log
        SET target = 'unknown user (name removed)', actor = 'unknown user (name removed)'
        WHERE action IN ('login.failure', 'login.locked')
          AND coalesce(json_extract_string(detail, '$.method'), 'password') = 'password'
          AND coalesce(target, '') NOT IN (SELECT username FROM wb.users)
          AND coalesce(target, '') NOT IN (
              SELECT target FROM wb.audit_log
              WHERE action IN ('user.create', 'user.update', 'user.delete')
                AND target IS NOT NULL
          );
