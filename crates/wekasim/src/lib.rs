//! wekasim: a simulated WEKA cluster and the weka CLI it answers, for hermetic tests.
