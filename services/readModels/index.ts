// The grants read models: one projection per slice, in the order they must run (the slices after
// `applications` read its fold of the event).
import type { Projection } from '../../infra/projections/projection';
import { applicationsProjection } from './applications/projection';

export const grantsProjections: Projection[] = [applicationsProjection];
