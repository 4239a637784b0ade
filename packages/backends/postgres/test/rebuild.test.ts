import { runtimeRebuildAndWorkerRecovery } from "@lash/testing"
import { postgres } from "./kit.js"

// The rebuild and worker-recovery scenarios in a file of their own, so vitest runs them next to the other suites.
runtimeRebuildAndWorkerRecovery(postgres)
