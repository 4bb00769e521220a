import { wireInbox } from './decrypt.ts';
import { wireKeyGeneration } from './keygen.ts';

wireKeyGeneration();
wireInbox();
