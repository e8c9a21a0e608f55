// Reference data the API does not return (yet): the names of the quartiers prioritaires (QPV),
// per version of the QPV reference a campaign was built on (its territory.qpvReferenceVersion, from
// GET /api/campaigns/:id). This is a copy of the demonstration sample of domain/reference/qpv.ts —
// real quartier names, PLACEHOLDER codes — and test/console/dashboards.e2e.spec.ts checks that it
// stays equal to it. A campaign built on any other version (the official ANCT file) shows codes only:
// the console never guesses a name.

/** @type {Record<string, { source: string, date: string, placeholder: boolean, names: Record<string, string> }>} */
export const qpvReferences = {
  'echantillon-camvs-1': {
    source: 'échantillon de démonstration, codes fictifs (noms réels des quartiers de la CAMVS)',
    date: '2024-07-13',
    placeholder: true,
    names: {
      QN05990X: 'Sous-le-Bois',
      QN05991X: 'Montplaisir',
      QN05992X: "Rue d'Haumont",
      QN05993X: "L'Épinette",
      QN05994X: 'Provinces Françaises – De Joyeuse',
      QN05995X: 'Pont de Pierre',
      QN05996X: 'Centre',
      QN05997X: 'Aulnoye-Aymeries (multisites)',
      QN05998X: 'Jeumont',
      QN05999X: 'Hautmont',
    },
  },
};

/**
 * The quartiers' names for a campaign's reference version: `name(code)` is undefined when unknown,
 * `label(code)` is « Nom (CODE) » or the code alone.
 * @param {string | null | undefined} version
 */
export function qpvNaming(version) {
  const reference = version ? qpvReferences[version] : undefined;
  const names = reference?.names ?? {};
  /** @param {string} code */
  const name = (code) => names[code];
  return {
    version: version ?? null,
    reference,
    name,
    /** @param {string} code */
    label: (code) => (name(code) ? `${name(code)} (${code})` : code),
  };
}
