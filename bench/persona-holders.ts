import { PERSONAS } from "../db/crm/seed";
import type { TokenHolder } from "./tokens";

/** Who one load client acts as: a demo persona in one of its roles (a frozen one included). */
export interface PersonaHolder {
  /** `rita (sales_rep)`. */
  readonly label: string;
  /** The token's subject. */
  readonly holder: TokenHolder;
}

/**
 * Every demo persona in every role it holds (db/crm/seed.ts: 17 personas, 14 roles; olga is frozen and must see
 * nothing), and rita acting in a role she does not hold (a valid token for supervisor, which must open no row).
 * Anonymous requests are left out: no query of the load answers them without an error.
 */
export function personaHolders(): PersonaHolder[] {
  const own = PERSONAS.flatMap((p) =>
    p.roles.map((role) => ({ label: `${p.username} (${role})`, holder: { userId: p.id, role } })),
  );
  const rita = PERSONAS.find((p) => p.username === "rita")!;
  return [...own, { label: "rita (supervisor, not hers)", holder: { userId: rita.id, role: "supervisor" } }];
}
