// Issue 8 end to end on three simulated hypervisors joined through a hub (see scenario.ts for the steps): pods a
// on hv1 and b on hv3, a bystander on hv2 that must see nothing.
import test from 'ava';
import { overlayScenario } from './scenario.js';

overlayScenario(test, 3);
