import { waitFor, WaitFailed } from '../../src/core/wait-for';

describe('waitFor', () => {
  it('returns the first truthy value of the condition', async () => {
    let calls = 0;
    const value = await waitFor(() => (++calls >= 3 ? { calls } : undefined), {
      what: 'three calls',
      intervalMs: 1,
    });
    expect(value).toEqual({ calls: 3 });
  });

  it('counts a throwing condition as not yet and quotes its last error on timeout', async () => {
    const failure = waitFor(
      () => {
        throw new Error('connection refused');
      },
      { what: 'the server', timeoutMs: 60, intervalMs: 10 },
    );
    await expect(failure).rejects.toBeInstanceOf(WaitFailed);
    await expect(failure).rejects.toMatchObject({
      what: 'the server',
      aborted: false,
      message: expect.stringMatching(
        /^waiting for the server: timed out after 60 ms \(\d+ checks\); last error: connection refused$/,
      ),
    });
  });

  it('forgets an earlier error once the condition answers without throwing', async () => {
    let calls = 0;
    const failure = waitFor(
      () => {
        if (++calls === 1) throw new Error('first');
        return false;
      },
      { what: 'nothing', timeoutMs: 40, intervalMs: 5 },
    );
    await expect(failure).rejects.toMatchObject({ reason: expect.not.stringContaining('first') });
  });

  it('stops at the first abort reason instead of sitting out the timeout', async () => {
    let calls = 0;
    const failure = waitFor(() => ++calls > 1_000, {
      what: 'redis to answer',
      timeoutMs: 10_000,
      intervalMs: 5,
      abortIf: () => (calls >= 2 ? 'the process exited with code 1' : undefined),
    });
    await expect(failure).rejects.toMatchObject({
      aborted: true,
      reason: 'the process exited with code 1',
      message: 'gave up waiting for redis to answer: the process exited with code 1',
    });
    expect(calls).toBe(2);
  });

  it('adds the described state to the error', async () => {
    await expect(
      waitFor(() => false, {
        what: 'the children',
        timeoutMs: 20,
        intervalMs: 5,
        describe: () => 'child 0: ""',
      }),
    ).rejects.toThrow(/waiting for the children: timed out after 20 ms \(\d+ checks\); child 0: ""/);
  });
});
