// A reservation's custom yes/no fields as the reservation page shows them: the PMS's value, the
// operator's (which wins for the same key, SPEC 6) and the one conditions read.

export interface CustomFieldRow {
  key: string;
  pms: boolean | null;
  operator: boolean | null;
  effective: boolean;
}

export function customFieldRows(fields: {
  custom_fields?: Record<string, boolean>;
  pms_custom_fields?: Record<string, boolean>;
  operator_custom_fields?: Record<string, boolean>;
}): CustomFieldRow[] {
  const pms = fields.pms_custom_fields ?? {};
  const operator = fields.operator_custom_fields ?? {};
  const effective = fields.custom_fields ?? {};
  const keys = new Set([...Object.keys(pms), ...Object.keys(operator), ...Object.keys(effective)]);
  return [...keys].sort().map((key) => {
    const o = key in operator ? operator[key] : null;
    const p = key in pms ? pms[key] : null;
    return { key, pms: p, operator: o, effective: key in effective ? effective[key] : (o ?? p ?? false) };
  });
}

/** The body of `PATCH /reservations/{id}/custom-fields` for one change: `null` drops the operator's value. */
export function customFieldChange(key: string, value: boolean | null): Record<string, boolean | null> {
  return { [key.trim()]: value };
}
