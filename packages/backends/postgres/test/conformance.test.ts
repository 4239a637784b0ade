import { backendConformance } from "@lash/testing"
import { postgres } from "./kit.js"

// Every suite of the kit at the durable tier (rebuild.test.ts has the rebuild and worker-recovery scenarios).
backendConformance(postgres)
