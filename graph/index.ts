export { marksOf, type Diagram, type DiagramEdge, type DiagramGroup, type DiagramNode, type EdgeKind, type NodeKind } from './diagram';
export { deploymentDiagram, DEPLOYMENT_TARGETS, type DeploymentTarget } from './deployment';
export { topologyDiagram } from './topology';
export { renderMermaid } from './mermaid';
export { renderDot } from './dot';
export { renderSvg } from './svg';
export { diagramFiles, diagramsOf, DIAGRAMS_FOLDER } from './files';
