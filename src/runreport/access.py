"""Who may do what in production (docs/security.md, docs/operations.md "Users and roles").

The production stack runs Airflow's FAB auth manager. Its roles are built here from FAB's own
permission lists (so they follow FAB upgrades) plus RUN's network resources:

* ``forvaltare`` (data steward): everything Airflow's built-in *User* role may do (read every DAG,
  run and log; trigger and clear runs) **except** answering a human-in-the-loop step and deleting
  runs or task instances, so a steward can never approve invoices (and marking the approval step
  done by hand releases nothing: ``invoicing/approval.py``);
* ``ekonomi`` (finance): read everything, and answer human-in-the-loop steps of ``run_invoices``
  only (``can_edit`` on ``DAG:run_invoices`` and on ``HITL Detail``): the only role that may approve;
* ``samordnare`` (coordinator): read-only (Airflow's *Viewer*);
* ``natverk_<TENANT>`` (one per network): may read that network's files in the stewards' view
  (``can_read`` on the resource ``RUN-nätverk <TENANT>``). A user holds one role of the three above
  and one ``natverk_*`` role per network they work for.

The stewards' view asks the auth manager through its public API
(``is_authorized_custom_view(method="GET", resource_name=network_resource(tenant))``), so another
auth manager can grant the same resources its own way; Airflow's SimpleAuthManager (local
development and the demo) grants every logged-in user every network.

``python -m runreport.access sync-roles`` creates or updates the roles (idempotent; run by
``airflow-init`` in docker-compose.yaml on every start).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable

STEWARD, FINANCE, COORDINATOR = "forvaltare", "ekonomi", "samordnare"
NETWORK_ROLE_PREFIX = "natverk_"
NETWORK_RESOURCE_PREFIX = "RUN-nätverk "
INVOICE_DAG = "run_invoices"

CAN_READ, CAN_EDIT, CAN_MENU = "can_read", "can_edit", "menu_access"
HITL = "HITL Detail"


def network_resource(tenant: str) -> str:
    """The auth manager resource that guards one network's files in the stewards' view."""
    return f"{NETWORK_RESOURCE_PREFIX}{tenant}"


def network_role(tenant: str) -> str:
    return f"{NETWORK_ROLE_PREFIX}{tenant}"


def role_definitions(viewer: Iterable[tuple[str, str]], user: Iterable[tuple[str, str]],
                     tenants: Iterable[str]) -> list[dict]:
    """The roles as FAB's ``bulk_sync_roles`` takes them: ``[{"role", "perms": [(action, resource)]}]``.

    ``viewer`` and ``user`` are FAB's *Viewer* and *User* permission lists (pure: passed in, so the
    rule is testable without FAB)."""
    viewer = sorted(set(viewer))
    answer_hitl = (CAN_EDIT, HITL)
    # a steward runs and clears tasks, but neither answers an approval nor deletes runs or task
    # instances (the audit trail stays)
    steward = sorted(set(viewer) | {p for p in user if p != answer_hitl and p[0] != "can_delete"}
                     | {(CAN_MENU, HITL)})
    finance = sorted(set(viewer) | {answer_hitl, (CAN_EDIT, f"DAG:{INVOICE_DAG}"), (CAN_MENU, HITL)})
    roles = [{"role": STEWARD, "perms": steward}, {"role": FINANCE, "perms": finance},
             {"role": COORDINATOR, "perms": viewer}]
    roles += [{"role": network_role(t), "perms": [(CAN_READ, network_resource(t))]} for t in sorted(set(tenants))]
    return roles


def configured_tenants() -> list[str]:
    from runreport import tenants

    return tenants.list_tenants()


def sync_roles(tenant_names: Iterable[str] | None = None) -> list[str]:
    """Create or update RUN's roles in the FAB database (needs Airflow's configuration and the FAB
    auth manager's tables: run after ``airflow db migrate``). Admin gets every network too.
    Returns the role names."""
    from airflow.providers.fab.auth_manager.cli_commands.utils import get_application_builder
    from airflow.providers.fab.auth_manager.security_manager.override import (
        FabAirflowSecurityManagerOverride as Fab,
    )

    names = list(tenant_names) if tenant_names is not None else configured_tenants()
    roles = role_definitions(Fab.VIEWER_PERMISSIONS, Fab.USER_PERMISSIONS, names)
    with get_application_builder() as appbuilder:
        sm = appbuilder.sm
        sm.bulk_sync_roles(roles + [{"role": "Admin", "perms": [(CAN_READ, network_resource(t)) for t in names]}])
        # bulk_sync_roles only adds; a permission taken out of a definition is removed here
        for spec in roles:
            role = sm.find_role(spec["role"])
            wanted = set(spec["perms"])
            for perm in list(role.permissions):
                if (perm.action.name, perm.resource.name) not in wanted and perm.resource.name != "Website":
                    sm.remove_permission_from_role(role, perm)
    return [r["role"] for r in roles]


ROLES = (STEWARD, FINANCE, COORDINATOR)


def add_user(username: str, role: str, networks: Iterable[str], email: str, password: str,
             first_name: str = "", last_name: str = "") -> None:
    """Create a user with one of RUN's roles and the given networks, or give an existing user
    exactly that role and those networks (password unchanged then)."""
    from airflow.providers.fab.auth_manager.cli_commands.utils import get_application_builder

    if role not in ROLES:
        raise SystemExit(f"Okänd roll {role!r}: välj {', '.join(ROLES)}")
    wanted = [role] + [network_role(t) for t in networks]
    with get_application_builder() as appbuilder:
        sm = appbuilder.sm
        roles = []
        for name in wanted:
            found = sm.find_role(name)
            if found is None:
                raise SystemExit(f"Rollen {name} finns inte: kör först python -m runreport.access sync-roles")
            roles.append(found)
        user = sm.find_user(username=username)
        if user is None:
            if not password:
                raise SystemExit("Lösenord saknas (--password-stdin)")
            sm.add_user(username=username, first_name=first_name or username, last_name=last_name or "-",
                        email=email, role=roles, password=password)
        else:
            user.roles = roles
            sm.update_user(user)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m runreport.access", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sync = sub.add_parser("sync-roles", help="create/update the roles forvaltare, ekonomi, samordnare, natverk_*")
    sync.add_argument("--tenant", action="append", help="network (default: every config/tenants/*.yaml)")
    add = sub.add_parser("add-user", help="create a user (or set an existing user's role and networks)")
    add.add_argument("--username", required=True)
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--network", action="append", default=[], help="network the user works for (repeat)")
    add.add_argument("--email", required=True)
    add.add_argument("--first-name", default="")
    add.add_argument("--last-name", default="")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input "
                     "(else asked for at the prompt)")
    args = parser.parse_args(argv)
    if args.command == "sync-roles":
        for name in sync_roles(args.tenant):
            print(f"roll: {name}")
    elif args.command == "add-user":
        import getpass
        import sys

        password = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass("Lösenord: ")
        add_user(args.username, args.role, args.network, args.email, password, args.first_name, args.last_name)
        print(f"användare {args.username}: {args.role}, nätverk {', '.join(args.network) or '(inga)'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
