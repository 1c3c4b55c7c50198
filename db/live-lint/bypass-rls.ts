import { sql, toDdl } from "../sql/ddl";
import type { LiveLintContext } from "./context";
import type { LiveLintFinding } from "./finding";
import type { LiveLint } from "./lint";

interface PrivilegedRole {
  role: string;
  superuser: boolean;
  bypassrls: boolean;
  login: boolean;
  /** Superuser roles it can `set role` to (it is a member of them, directly or not). */
  super_through: string[];
  /** Generated roles among itself and the roles it is a member of. */
  generated: string[];
  /** Roles among itself and those it is a member of that hold a privilege on, or own, an app object. */
  granted: string[];
  /** Some app object is granted to PUBLIC, so every role holds a privilege on it. */
  public_reach: boolean;
}

/**
 * Every role that is a superuser or has BYPASSRLS (or can `set role` to a superuser), with what ties it to the app:
 * the generated roles it is or belongs to, and the roles through which it holds privileges on, or owns, a relation of
 * the app, toolkit or `select *` schemas. The bootstrap superuser and the app schema's owner (who applies the
 * migrations and must bypass row security, see CONVENTIONS) are left out.
 */
const PRIVILEGED = `
with recursive up(member, role) as (
  select oid, oid from pg_catalog.pg_roles
  union
  select up.member, m.roleid from up join pg_catalog.pg_auth_members m on m.member = up.role
), app_objects as (
  select c.oid, c.relowner, c.relacl from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
   where n.nspname = any ($2::text[])
), reaching as (
  select a.grantee as role from app_objects o, pg_catalog.aclexplode(o.relacl) a
  union select relowner from app_objects
)
select x.rolname::text as role, x.rolsuper as superuser, x.rolbypassrls as bypassrls, x.rolcanlogin as login,
       coalesce(array_agg(distinct r.rolname::text) filter (where r.rolsuper and r.oid <> x.oid), '{}') as super_through,
       coalesce(array_agg(distinct r.rolname::text) filter (where r.rolname = any ($1::text[])), '{}') as generated,
       coalesce(array_agg(distinct r.rolname::text) filter (where r.oid in (select role from reaching)), '{}') as granted,
       exists (select 1 from reaching where role = 0) as public_reach
  from up join pg_catalog.pg_roles x on x.oid = up.member join pg_catalog.pg_roles r on r.oid = up.role
 where x.oid <> 10 and x.rolname is distinct from $3
 group by x.oid, x.rolname, x.rolsuper, x.rolbypassrls, x.rolcanlogin
having bool_or(r.rolsuper) or x.rolbypassrls
 order by x.rolname`;

const quoted = (role: string) => toDdl(sql.identifier(role));

/**
 * What ties a role to the app's data, in words; empty when nothing does. A grant to PUBLIC ties a BYPASSRLS role (it
 * then reads every row of that object), not a superuser, who reads everything anyway.
 */
function reach(ctx: LiveLintContext, r: PrivilegedRole, superuser: boolean): string[] {
  const ways: string[] = [];
  if (ctx.logins.includes(r.role)) ways.push("is a role-bound login");
  else if (r.generated.includes(r.role)) ways.push("is a generated role");
  const memberOf = r.generated.filter((g) => g !== r.role);
  if (memberOf.length) ways.push(`is a member of ${memberOf.join(", ")}`);
  const granted = r.granted.filter((g) => !r.generated.includes(g));
  if (granted.includes(r.role)) ways.push("holds privileges on app objects");
  const through = granted.filter((g) => g !== r.role);
  if (through.length) ways.push(`holds privileges on app objects through ${through.join(", ")}`);
  if (r.public_reach && !superuser && ways.length === 0) ways.push("can use the app objects granted to PUBLIC");
  return ways;
}

/** The statements that take the privilege away. */
function fixes(r: PrivilegedRole): string {
  return [
    ...(r.superuser ? [`alter role ${quoted(r.role)} nosuperuser`] : []),
    ...(r.bypassrls ? [`alter role ${quoted(r.role)} nobypassrls`] : []),
    ...r.super_through.map((s) => `revoke ${quoted(s)} from ${quoted(r.role)}`),
  ].join("; ");
}

/** Why row security does not bind the role, in words. */
function privilege(r: PrivilegedRole): string {
  return [
    ...(r.superuser ? ["is a superuser"] : []),
    ...(r.bypassrls ? ["has BYPASSRLS"] : []),
    ...(r.super_through.length ? [`can set role to superuser ${r.super_through.join(", ")}`] : []),
  ].join(" and ");
}

/**
 * `bypass-rls`: a role row security does not bind — superuser, BYPASSRLS, or a member of a superuser role — that
 * is tied to the app: a generated role, a role-bound login, a member of a generated role (the authenticator, a
 * login), or a holder of privileges on the app's tables and views (with BYPASSRLS alone: any role, once one of them is
 * granted to PUBLIC). An error: fix it with `alter role … nobypassrls` / `nosuperuser` or by revoking the membership.
 * A superuser that can log in and is tied to nothing of the app is a warning (it reads every row all the same). The
 * bootstrap superuser and the app schema's owner, who applies the migrations and must bypass row security for the
 * identity helpers, are not reported.
 */
export const bypassRls: LiveLint = {
  name: "bypass-rls",
  description: "a superuser or BYPASSRLS role that reaches the app's data",
  run: async (ctx) => {
    const { rows } = await ctx.client.query<PrivilegedRole>(PRIVILEGED, [
      ctx.generatedRoles,
      [ctx.app.schema, ctx.app.toolkitSchema, ...ctx.roleSchemas],
      ctx.schemaOwner ?? null,
    ]);
    return rows.flatMap((r): LiveLintFinding[] => {
      const superuser = r.superuser || r.super_through.length > 0;
      const ways = reach(ctx, r, superuser);
      if (ways.length)
        return [
          {
            lint: "bypass-rls",
            level: "error",
            object: `role ${r.role}`,
            message: `${privilege(r)} and ${ways.join(" and ")}: row security does not apply to it; ${fixes(r)}`,
          },
        ];
      if (superuser && r.login)
        return [
          {
            lint: "bypass-rls",
            level: "warning",
            object: `role ${r.role}`,
            message: `${privilege(r)} and can log in: it reads every row of schema ${ctx.app.schema}, whatever the policies say; keep it for administration, or ${fixes(r)}`,
          },
        ];
      return [];
    });
  },
};
