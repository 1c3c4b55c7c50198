/** Demo data: two wards, a doctor and two nurses, three patients. `gatehouse start` loads it into an empty database. */
import type { ClientBase } from "pg";
import type { PersonaInfo } from "gatehouse-rls";

/** The staff of the demo, as `gatehouse start` and `gatehouse token --user <username>` know them. */
export const PERSONAS: readonly PersonaInfo[] = [
  { username: "dr_ada", id: 1, roles: ["doctor"], unit: "Ward A" },
  { username: "nurse_ben", id: 2, roles: ["nurse"], unit: "Ward A" },
  { username: "nurse_cy", id: 3, roles: ["nurse"], unit: "Ward B" },
];

/** Whether the demo data is there already. */
export async function isSeeded(client: ClientBase): Promise<boolean> {
  const { rows } = await client.query<{ seeded: boolean }>("select exists (select from clinic.staff) as seeded");
  return rows[0]!.seeded;
}

/** Loads the demo data (as the owner or a superuser). */
export async function seed(client: ClientBase): Promise<void> {
  await client.query(`
    insert into clinic.wards (id, parent_id, name) values (1, null, 'Ward A'), (2, null, 'Ward B');
    insert into clinic.staff (id, username, full_name, ward_id) values
      (1, 'dr_ada', 'Ada Okafor', 1), (2, 'nurse_ben', 'Ben Park', 1), (3, 'nurse_cy', 'Cy Laine', 2);
    insert into clinic.staff_roles (staff_id, role) values (1, 'doctor'), (2, 'nurse'), (3, 'nurse');
    insert into clinic.patients (id, full_name, phone, notes, ward_id, doctor_id) values
      (1, 'Ann Lee', '+44 7700 900101', 'allergic to penicillin', 1, 1),
      (2, 'Bo Chen', '+44 7700 900102', 'discharge on Friday', 1, null),
      (3, 'Cy Diaz', '+44 7700 900103', 'follow-up in two weeks', 2, 1);
  `);
}
