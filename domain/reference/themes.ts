// The national programming nomenclature of the politique de la ville (used in ANCT funding data).
import { z } from 'zod';

export const themes = [
  { code: '1', label: 'Cohésion sociale' },
  { code: '1.1', label: 'Éducation' },
  { code: '1.2', label: 'Santé' },
  { code: '1.3', label: 'Parentalité et droits sociaux' },
  { code: '1.4', label: 'Culture et expression artistique' },
  { code: '1.5', label: 'Lien social, citoyenneté et participation des habitants' },
  { code: '1.5a', label: 'Jeunesse' },
  { code: '1.5b', label: 'Sport et loisir' },
  { code: '1.6', label: "Prévention et lutte contre les discriminations liées à l'origine et à l'adresse" },
  { code: '2', label: 'Développement économique et emploi' },
  { code: '2.1', label: 'Emploi' },
  { code: '2.2', label: 'Développement économique' },
  { code: '3', label: 'Cadre de vie et renouvellement urbain' },
  { code: '3.1', label: 'Cadre de vie et renouvellement urbain' },
  { code: '3.2', label: 'Tranquillité et sûreté publique' },
  { code: '4', label: 'Pilotage, ingénierie, ressources et évaluations' },
  { code: '4.1', label: 'Pilotage, ingénierie, ressources et évaluations' },
  { code: '4.2', label: 'Structures mutualisatrices' },
] as const;

export type ThemeCode = (typeof themes)[number]['code'];

const codes = themes.map((t) => t.code) as [ThemeCode, ...ThemeCode[]];
/** Any code of the nomenclature; actions usually carry a sub-theme (1.1 … 4.2). */
export const themeCodeSchema = z.enum(codes);

/** Sub-themes only: what an action or a campaign targets. */
export const actionThemeCodes = codes.filter((c) => c.includes('.'));
export const actionThemeCodeSchema = themeCodeSchema.refine((c) => c.includes('.'), {
  message: 'Choisissez un sous-thème de la nomenclature (1.1 … 4.2), pas un axe',
});

export function themeLabel(code: ThemeCode): string {
  return themes.find((t) => t.code === code)?.label ?? code;
}

/** '1.5a' → '1': the axis a sub-theme belongs to. */
export const themeAxis = (code: ThemeCode): ThemeCode => (code.split('.')[0] ?? code) as ThemeCode;

/**
 * Whether a campaign opening `opened` takes an action on `code`: the theme itself, or a sub-theme of
 * one it opens (a call on 1.5 « Lien social » takes 1.5a Jeunesse and 1.5b Sport et loisir).
 */
export const themeOpenedBy = (code: ThemeCode, opened: readonly ThemeCode[]): boolean =>
  opened.includes(code) || opened.includes(code.replace(/[a-z]$/, '') as ThemeCode);
