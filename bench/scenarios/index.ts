// The registry: every scenario, in the order a run measures them. Adding a scenario is one
// module in this folder and one line here.
import type { Scenario } from '../harness';
import { deployment } from './deployment';
import { g2 } from './g2';
import { m1 } from './m1';
import { m2 } from './m2';
import { m4 } from './m4';
import { m5 } from './m5';
import { n1 } from './n1';
import { n2 } from './n2';
import { n3 } from './n3';
import { n4 } from './n4';
import { s1 } from './s1';
import { s3 } from './s3';
import { s4 } from './s4';
import { s5 } from './s5';
import { workers } from './workers';

export const scenarios: Scenario[] = [
  n1,
  n2,
  g2,
  m1,
  m2,
  m4,
  m5,
  s3,
  s1,
  s4,
  s5,
  workers,
  deployment,
  // Opt-in (--peer): against PostGraphile v5.
  n3,
  n4,
];
