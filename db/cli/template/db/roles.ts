/**
 * Who may see which patients. Doctors see their own patients, phone numbers included, and write their
 * notes; nurses see every patient of their ward with the phone number masked to its last four digits.
 */
import { defineApp, keepLast, mask, own, role, unit } from "gatehouse-rls";

export const doctor = role("doctor", {
  description: "their own patients, phone numbers included; writes their notes",
  tables: {
    patients: {
      select: own("doctor_id"),
      update: { using: own("doctor_id") },
      columns: { default: "read", notes: "write" },
    },
  },
});

export const nurse = role("nurse", {
  description: "every patient of their ward; phone numbers masked, no notes",
  tables: {
    patients: {
      select: unit("ward_id"),
      columns: { default: "read", phone: "masked", notes: "hidden" },
    },
  },
});

/** The clinic: tables in schema `clinic`, database roles `clinic_<role>`, toolkit helpers in schema `gatehouse`. */
export const clinic = defineApp({
  schema: "clinic",
  rolePrefix: "clinic_",
  identity: {
    users: { table: "staff", id: "id", unit: "ward_id", status: "status", activeStatus: "active", username: "username" },
    userRoles: { table: "staff_roles", user: "staff_id", role: "role" },
    units: { table: "wards", id: "id", parent: "parent_id" },
  },
  roles: [doctor, nurse],
  masks: [mask("patients", "phone", keepLast(4))],
});
