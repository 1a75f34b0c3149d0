import { statementTimeoutWarning, timeoutMs } from '../../src/db/capabilities';

describe("the server's statement_timeout behind a pooler (checked at start-up)", () => {
  it("reads PostgreSQL's units", () => {
    expect(['0', '250', '1500ms', '5s', '1min', '2h', '1d', '500us', 'soon'].map(timeoutMs)).toEqual([
      0,
      250,
      1500,
      5000,
      60_000,
      7_200_000,
      86_400_000,
      0.5,
      Number.NaN,
    ]);
  });

  it('warns when it is none or longer than STATEMENT_TIMEOUT_MS, not when it is within it', () => {
    expect(statementTimeoutWarning('5s', 5000)).toBeNull();
    expect(statementTimeoutWarning('2s', 5000)).toBeNull();
    expect(statementTimeoutWarning('0', 5000)).toMatch(
      /statement_timeout, which is none \(0\).*STATEMENT_TIMEOUT_MS=5000/,
    );
    expect(statementTimeoutWarning('1min', 5000)).toMatch(/which is 1min, not bounded by STATEMENT_TIMEOUT_MS=5000/);
    expect(statementTimeoutWarning('5001ms', 5000)).toMatch(/ALTER ROLE <role> SET statement_timeout = '5000ms'/);
  });
});
