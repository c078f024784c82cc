// A bench worker process: `node --import tsx bench/worker.ts <role>`, driven by the parent over IPC
// (bench/lib/rpc.ts). Each role (bench/roles/<role>.ts) exports `create()`, returning its commands.
export type Commands = Record<string, (args: any) => Promise<unknown>>;

const role = process.argv[2];
if (!role || !/^[a-z-]+$/.test(role)) throw new Error(`bench worker: bad role ${String(role)}`);
const mod = (await import(`./roles/${role}.ts`)) as { create(): Commands };
const commands = mod.create();

process.on('message', (m: { id: number; cmd: string; args: unknown }) => {
  if (m.cmd === 'exit') {
    process.disconnect();
    // Let --cpu-prof write its profile: exit normally, once pending I/O of the role is done.
    setTimeout(() => process.exit(0), 50);
    return;
  }
  const fn = commands[m.cmd];
  const run = fn ? fn(m.args) : Promise.reject(new Error(`role ${role} has no command ${m.cmd}`));
  run.then(
    (value) => process.send?.({ id: m.id, ok: true, value }),
    (err: unknown) =>
      process.send?.({ id: m.id, ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
  );
});
