import { jest } from '@jest/globals';

// Tiers that drive real servers, OpenTofu and the emulator wait minutes, not seconds.
jest.setTimeout(30 * 60_000);
