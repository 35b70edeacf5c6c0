/** The agent simulator (issue #7); see README.md of this package. */
export {}
