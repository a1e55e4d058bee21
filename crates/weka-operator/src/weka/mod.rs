//! Talking to WEKA: the weka CLI run inside WekaContainer pods over pod exec, with timeouts, typed errors and parsed JSON.
