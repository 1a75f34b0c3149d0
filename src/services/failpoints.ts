// Named places inside write transactions where a test can make the service fail, to prove that
// nothing of the transaction remains. Disarmed (a Set lookup) unless a test arms one.
const armed = new Set<string>();

export function armFailpoint(name: string): void {
  armed.add(name);
}

export function disarmFailpoints(): void {
  armed.clear();
}

export function failpoint(name: string): void {
  if (armed.has(name)) throw new Error(`failpoint ${name}`);
}
